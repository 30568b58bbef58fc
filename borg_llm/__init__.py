"""borg_llm: judge a software project with a panel of LLMs."""
__version__ = "0.1.0"

# The main entry points, imported on first use so `import borg_llm.testing` stays light (the SDKs take ~1 s to import).
_LAZY = dict(analyze_with_llm="pipeline", analyze="pipeline", summary="pipeline", Analysis="pipeline",
             Settings="config", load_roster="config", collect_facts="facts", merge_facts="facts")

def __getattr__(name):
    if name in _LAZY:
        import importlib
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'borg_llm' has no attribute {name!r}")

__all__ = ["__version__", *_LAZY]
