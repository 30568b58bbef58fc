"Prompt templates for LLM applications."
from .templates import load

__all__ = ["load"]
