"""The product stands apart from its test doubles: no module of `borg_llm` imports `borg_llm.testing` at import time,
and only the CLI's developer commands (`stand-in`, `fault-matrix`) and the evaluations' replay mode do, inside the
function that needs it. One helper runs a coroutine from blocking code."""
import ast, subprocess, sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/"borg_llm"
PRODUCT = sorted(p for p in PKG.glob("*.py") if p.name not in ("_modidx.py",))
LAZY_OK = {("cli.py", "cmd_stand_in"), ("cli.py", "cmd_fault_matrix"), ("evals.py", "_endpoint"),
           ("evals.py", "prune")}  # replay and record modes, and pruning their recordings


def _testing_imports(path: Path):
    "(function name or None, line) of every import of borg_llm.testing in `path`."
    tree, out = ast.parse(path.read_text()), []
    def visit(node, fn):
        for child in ast.iter_child_nodes(node):
            f = child.name if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)) else fn
            mods = []
            if isinstance(child, ast.ImportFrom):
                base = ("." * child.level) + (child.module or "")
                mods = [base] + [f"{base}.{a.name}" for a in child.names]
            elif isinstance(child, ast.Import): mods = [a.name for a in child.names]
            if any(m in (".testing", "borg_llm.testing") or m.startswith((".testing.", "borg_llm.testing.")) for m in mods):
                out.append((fn, child.lineno))
            visit(child, f)
    visit(tree, None)
    return out


def test_product_modules_do_not_import_the_test_doubles():
    bad = [(p.name, fn, line) for p in PRODUCT for fn, line in _testing_imports(p) if (p.name, fn) not in LAZY_OK]
    assert not bad, f"imports of borg_llm.testing outside the developer commands: {bad}"


def test_importing_the_product_loads_no_test_double():
    mods = [f"borg_llm.{p.stem}" for p in PRODUCT if p.stem != "__init__"]
    code = f"import importlib, sys\nfor m in {mods!r}: importlib.import_module(m)\n" \
           "print(sorted(m for m in sys.modules if m.startswith('borg_llm.testing')))"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[]", r.stdout


def test_one_coroutine_runner():
    "`asyncio.run` appears in the product only inside `blocking.run_sync`."
    users = [p.name for p in PRODUCT if p.name != "blocking.py" and "asyncio.run(" in p.read_text()]
    assert not users, f"run coroutines with borg_llm.blocking.run_sync, not asyncio.run: {users}"


NBS = PKG.parent/"nbs"
def _default_exp(nb:Path) -> str|None:
    "The module a notebook exports (`#| default_exp`), e.g. 'testing.server'; None for a notebook that exports none."
    import json
    for c in json.loads(nb.read_text())["cells"]:
        for line in "".join(c["source"]).splitlines():
            if line.startswith("#| default_exp"): return line.split()[-1]
    return None

def _top_level_uses(nb:Path) -> set[str]:
    "borg_llm modules a notebook imports at its top level (imports inside functions are a command's lazy imports)."
    import json
    out = set()
    for c in json.loads(nb.read_text())["cells"]:
        if c["cell_type"] != "code": continue
        src = "\n".join(l for l in "".join(c["source"]).splitlines() if not l.startswith(("%", "!")))
        try: tree = ast.parse(src)
        except SyntaxError: continue  # top-level await: no imports hide in such cells here
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("borg_llm"):
                mod = node.module.removeprefix("borg_llm").lstrip(".")
                out |= {mod} if mod else {a.name for a in node.names}
            elif isinstance(node, ast.Import):
                out |= {a.name.removeprefix("borg_llm.") for a in node.names if a.name.startswith("borg_llm.")}
    return out


def test_notebooks_follow_the_data():
    "Each product notebook imports only the modules of notebooks before it; the stand-in is the one test double allowed."
    nbs = sorted(p for p in NBS.glob("[0-9][0-9]_*.ipynb"))
    order = {m: i for i, p in enumerate(nbs) if (m := _default_exp(p))}
    product = [p for p in nbs if (m := _default_exp(p)) and not m.startswith("testing")]
    assert [_default_exp(p) for p in product[:12]] == ["config", "blocking", "canon", "schemas", "facts", "prompts",
                                                       "ratelimit", "cache", "client", "key", "verify", "pipeline"]
    late = []
    for p in product:
        if _default_exp(p) == "evals": continue  # the evaluations come after the test doubles they replay with
        here = order[_default_exp(p)]
        for m in _top_level_uses(p):
            top = m if m in order else m.split(".")[0]
            if m in ("testing", "testing.server") or top not in order: continue
            if order.get(m, order.get(top)) > here: late.append((p.name, m))
    assert not late, f"notebooks that use a later notebook's module: {late}"
