"""`data/make_samples.py`, the script that writes the sample projects' facts, loaded as a module for the tests that
check what it writes."""
import functools, importlib.util
from borg_llm.config import PROJECT_ROOT

@functools.cache
def make_samples():
    "`data/make_samples.py` as a module (some samples come from a copy given a dated git history)."
    spec = importlib.util.spec_from_file_location("make_samples", PROJECT_ROOT/"data"/"make_samples.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod
