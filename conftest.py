"""pytest set-up shared by tests/ and the notebooks run by nbval."""
import os, re
import pytest

# Tests and notebooks never use a real key or reach OpenRouter.
os.environ.pop("OPENROUTER_API_KEY", None)

_NO_EVAL = re.compile(r"^#\|\s*eval:\s*false", re.M)

def pytest_collection_modifyitems(config, items):
    "Skip notebook cells marked `#| eval: false` (nbdev's marker, which nbval does not know)."
    for item in items:
        cell = getattr(item, "cell", None)
        if cell is not None and _NO_EVAL.search(cell.get("source", "")):
            item.add_marker(pytest.mark.skip(reason="#| eval: false"))
