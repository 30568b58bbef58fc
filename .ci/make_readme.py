"""Write README.md from nbs/index.ipynb without Quarto (which nbdev-readme needs): markdown cells as they are, code cells
as Python blocks with their text outputs, `#| hide` and `#| eval: false`-only set-up cells left out or kept as in nbdev.

Run: python .ci/make_readme.py [--execute] [--check]
  --execute: first re-run the notebook in nbs/ (skipping `#| eval: false` cells, as nbdev does) and save its outputs
  --check:   exit 1 if README.md is not what the notebook gives
"""
import re, sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parent.parent
DIRECTIVE = re.compile(r"^#\|\s*(.*)$")
DETAILS = re.compile(r"<details>.*?</details>", re.S) # folded raw results: for the notebook, too long for the README

def directives(src:str) -> list[str]: return [m.group(1).strip() for l in src.splitlines() if (m := DIRECTIVE.match(l))]

def outputs(cell) -> str:
    "Text of a code cell's outputs: markdown displays as they are, the rest as a plain block."
    parts = []
    for o in cell.get("outputs", []):
        data = o.get("data", {})
        if "text/markdown" in data: parts.append(DETAILS.sub("", "".join(data["text/markdown"])).strip())
        elif "text/plain" in data or o.get("output_type") == "stream":
            txt = "".join(data.get("text/plain", "") or o.get("text", "")).rstrip()
            if txt: parts.append(f"```\n{txt}\n```")
    return "\n\n".join(parts)

def readme(nb) -> str:
    out = ["<!-- written from nbs/index.ipynb by .ci/make_readme.py: edit the notebook, not this file -->"]
    for c in nb.cells:
        if c.cell_type == "markdown": out.append(c.source.strip()); continue
        if c.cell_type != "code" or "hide" in directives(c.source): continue
        src = "\n".join(l for l in c.source.splitlines() if not DIRECTIVE.match(l)).strip()
        if src: out.append(f"```python\n{src}\n```")
        if o := outputs(c): out.append(o)
    return "\n\n".join(out) + "\n"

def execute(path:Path):
    "Run the notebook with its `#| eval: false` cells left out, and store the outputs in it."
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    run = [c for c in nb.cells if not (c.cell_type == "code" and "eval: false" in directives(c.source))]
    tmp = nbformat.v4.new_notebook(cells=run, metadata=nb.metadata)
    NotebookClient(tmp, timeout=600, resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(nb, path)

if __name__ == "__main__":
    if "--execute" in sys.argv[1:]: execute(ROOT/"nbs"/"index.ipynb")
    text = readme(nbformat.read(ROOT/"nbs"/"index.ipynb", as_version=4))
    path = ROOT/"README.md"
    if "--check" in sys.argv[1:]:
        if not path.exists() or path.read_text() != text:
            sys.exit("README.md is not up to date with nbs/index.ipynb: run python .ci/make_readme.py")
    else: path.write_text(text)
