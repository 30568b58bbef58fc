"""A dict-like key-value store backed by SQLite."""
from .store import KV

__version__ = "0.3.1"
__all__ = ["KV"]
