"""borg_llm: judge a software project with a panel of LLMs."""
__version__ = "0.1.0"
