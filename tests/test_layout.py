"""The house's layout: the product stands apart from its test doubles (no module of `borg_llm` imports
`borg_llm.testing` at import time; only the CLI's developer commands and the evaluations' replay mode do, inside the
function that needs it); one helper runs a coroutine from blocking code; notebooks come in the order data flows, each
a lesson whose exports are followed by examples; every module is small."""
import ast, json, re, subprocess, sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent/"borg_llm"
PRODUCT = sorted(p for p in [*PKG.glob("*.py"), *PKG.glob("facts/*.py")] if p.name not in ("_modidx.py",))
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
    mods = [f"borg_llm.{p.relative_to(PKG).with_suffix('').as_posix().replace('/', '.')}" for p in PRODUCT
            if p.stem != "__init__"]
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
            if line.startswith("#| default_exp"): return line.split()[-1].removesuffix(".__init__")
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


PRODUCT_ORDER = ["config", "blocking", "canon", "schemas", "facts.redact", "facts.walk", "facts.manifests", "facts.git",
                 "facts.checks", "facts.kind", "facts", "untrusted", "criteria", "prompts", "ratelimit", "cache",
                 "grammar", "errors", "client", "key", "verify", "pipeline", "batch", "report", "cli", "catalogue",
                 "serving", "sampler", "local"]

def _notebooks() -> list[Path]: return sorted(NBS.glob("[0-9][0-9]_*.ipynb"))

def test_notebooks_are_numbered_once_each():
    "Every notebook name is `NN_name.ipynb`, and no number is used twice."
    names = [p.name for p in NBS.glob("*.ipynb") if p.name != "index.ipynb"]
    assert all(re.match(r"\d\d_[a-z0-9_]+\.ipynb$", n) for n in names), names
    nums = [n[:2] for n in names]
    assert len(nums) == len(set(nums)), sorted(names)


def test_notebooks_follow_the_data():
    "Each product notebook imports only the modules of notebooks before it; the stand-in is the one test double allowed."
    nbs = _notebooks()
    order = {m: i for i, p in enumerate(nbs) if (m := _default_exp(p))}
    product = [p for p in nbs if (m := _default_exp(p)) and not m.startswith(("testing", "eval"))]
    assert [_default_exp(p) for p in product] == PRODUCT_ORDER
    late = []
    for p in product:
        here = order[_default_exp(p)]
        for m in _top_level_uses(p):
            top = m if m in order else m.split(".")[0]
            if m.startswith("testing") or top not in order: continue
            if order.get(m, order.get(top)) > here: late.append((p.name, m))
    assert not late, f"notebooks that use a later notebook's module: {late}"


def test_modules_are_small():
    "No module holds many jobs: every one is at most 450 lines (the generated index aside)."
    big = {str(p.relative_to(PKG)): n for p in PKG.rglob("*.py") if p.name != "_modidx.py"
           and (n := len(p.read_text().splitlines())) > 450}
    assert not big, big


_EXPORT, _SKIP = re.compile(r"^#\|\s*export", re.M), re.compile(r"^#\|\s*(hide|eval:\s*false)", re.M)

def bare_exports(nb:Path) -> tuple[int, int]:
    "(exported cells, exported cells with no example cell before the next export) of a notebook."
    exported = bare = 0; pending = False
    for c in json.loads(nb.read_text())["cells"]:
        src = "".join(c["source"])
        if c["cell_type"] != "code" or not src.strip(): continue
        if _EXPORT.search(src): bare += pending; exported += 1; pending = True
        elif _SKIP.search(src) and "test_" not in src and "assert" not in src: continue
        else: pending = False
    return exported, bare + pending


def test_bare_exports_counts_what_it_should(tmp_path):
    cell = lambda s: {"cell_type": "code", "source": [s]}
    nb = tmp_path/"x.ipynb"
    nb.write_text(json.dumps({"cells": [cell("#| export\ndef f(): pass"), cell("#| hide\nimport os"),
                                        cell("#| export\ndef g(): pass"), cell("test_eq(g(), None)"),
                                        cell("#| export\ndef h(): pass")]}))
    assert bare_exports(nb) == (3, 2)


def test_every_export_is_followed_by_an_example():
    "In every notebook, at most 35% of exported cells lack an example or assertion before the next export."
    shares = {p.name: (n, b) for p in _notebooks() if (n := bare_exports(p)[0]) for b in [bare_exports(p)[1]]}
    over = {k: f"{b} of {n}" for k, (n, b) in shares.items() if b > 0.35 * n}
    assert not over, over
