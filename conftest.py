"""pytest set-up shared by tests/ and the notebooks run by nbval."""
import os, re
import pytest

# Tests and notebooks never use a real key or reach OpenRouter.
os.environ.pop("OPENROUTER_API_KEY", None)

_NO_EVAL = re.compile(r"^#\|\s*eval:\s*false", re.M)

def pytest_collection_modifyitems(config, items):
    """For nbval: skip cells marked `#| eval: false` (nbdev's marker, unknown to nbval), and give cleaned cells an
    execution count (`nbdev-clean` sets it to null, which nbval takes for an unrun cell that must have no outputs)."""
    for i, item in enumerate(items, 1):
        cell = getattr(item, "cell", None)
        if cell is None: continue
        if _NO_EVAL.search(cell.get("source", "")): item.add_marker(pytest.mark.skip(reason="#| eval: false"))
        if cell.get("cell_type") == "code" and cell.get("execution_count") is None: cell["execution_count"] = i
