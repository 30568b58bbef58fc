"""Damage to the machine, row by row: the real `borg-llm` (a process of its own) on a damaged answer cache, disk, call
log, rate window, local server, model file and batch folder, then the same command again, held to one contract:
it goes on where it safely can, else stops with one line naming the file and what to do; no traceback; nothing
finished lost; a damaged entry never served; the repeat succeeds or says the same. See nbs/34_env_faults.ipynb."""
import contextlib, io, re
from pathlib import Path
from unittest import mock
import pytest
from borg_llm import cli
from borg_llm.testing import env_faults as E
from borg_llm.testing.damage import Run

IDS = [f"{d.group}: {d.label}" for d in E.ROWS]


@pytest.fixture(scope="module")
def matrix():
    "Every row once: those without a model two at a time against one stand-in, then SmolLM2's, if it is installed."
    return {id_: seen for id_, seen in zip(IDS, E.env_matrix(workers=2))}


def test_every_kind_of_damage_has_rows():
    groups = {d.group for d in E.ROWS}
    assert groups == {"answer cache", "cache folder", "disk", "call log", "rate window", "local server", "model file",
                      "batch folder"}
    labels = " ".join(d.label for d in E.ROWS)
    for what in ("output.pkl", "metadata.json", "func_code.py", "lock", "read-only", "--out", "batch", "--log",
                 "not JSON", "SQLite", "killed mid-write", "deleted mid-batch", "killed mid-run", "port", "slow",
                 "cut short after it was verified", "replaced after it was verified", "invalid JSON"):
        assert what in labels, what


@pytest.mark.parametrize("row", IDS)
def test_row_holds_the_contract(matrix, row):
    s = matrix[row]
    if s.skipped: pytest.skip(s.skipped)
    d, first, again = s.damage, s.first, s.again
    assert "Traceback" not in first.err and "Traceback" not in again.err, first.err[-3000:] + again.err[-3000:]
    assert first.code == d.code, (first.code, first.err[-2000:])
    assert len(first.lines) == (1 if d.says else 0), first.lines  # one line, or nothing where the run goes on quietly
    assert all(l.startswith("borg-llm: ") for l in first.lines + again.lines), first.lines + again.lines
    if d.code: assert d.says, "a run that stops says why"
    if d.again == "ok": assert (again.code, again.lines) == (0, []), (again.code, again.lines)
    else: assert (again.code, len(again.lines)) == (first.code, 1) and E._same(again) == E._same(first), again.lines
    assert s.problems == [], s.problems  # the line names the file and what to do; what must be kept is kept


def test_damaged_cache_entries_are_not_served(matrix):
    "Every damaged entry is asked for again (one request), and the repeat finds it written anew (none)."
    for row in IDS[:4]:
        s = matrix[row]
        assert (s.first.meta["api_calls"], s.first.meta["cache_hits"]) == (1, 3), row
        assert (s.again.meta["api_calls"], s.again.meta["cache_hits"]) == (0, 4), row


def test_stops_name_what_to_do(matrix):
    "A run that stops says what to do about it."
    for s in matrix.values():
        if s.skipped or not s.damage.code: continue
        assert re.search(r"free some space|make it|reinstall|choose another|run again|run the same command again", s.line), s.line


def test_check_catches_each_broken_clause(tmp_path):
    "The checker itself fails a row for each clause a run breaks."
    d = E.Damage("disk", "x", E.spoil(lambda w: w.root, lambda p: None), E.analyze(), code=1, again="same",
                 says="{full}/r.json: No space left", kept=lambda w, a, b: None)
    w = E.World(tmp_path)
    line = f"borg-llm: {tmp_path}/full/r.json: No space left on device"
    ok = Run(1, "", line + "\n")
    assert E.check(d, w, ok, ok) == []
    assert "exit 0, not 1" in E.check(d, w, Run(0, "", line), ok)
    assert "a traceback in the run" in E.check(d, w, Run(1, "", "Traceback (most recent call last):\n" + line), ok)
    assert "2 lines on stderr, not 1" in E.check(d, w, Run(1, "", line + "\nborg-llm: and more"), ok)
    assert E.check(d, w, Run(1, "", "borg-llm: somewhere: No space left"), ok)[0].startswith("the line is not")
    assert E.check(d, w, ok, Run(0, "", "")) == ["the repeat says something else"]
    lost = E.Damage(**{**d.__dict__, "kept": lambda w, a, b: "a result lost"})
    assert E.check(lost, w, ok, ok) == ["a result lost"]


def test_matrix_table(matrix):
    m = E.EnvMatrix(matrix.values())
    t = E.matrix_markdown(m)
    ran = [s for s in m if not s.skipped]
    assert t.count("| pass |") == len(ran) == m.passed and "FAIL" not in t
    assert t.strip().endswith(f"{len(ran)}/{len(ran)} rows hold the contract.")
    assert "/tmp/" not in t  # the rows' folders are shown as …


def test_fault_matrix_local_writes_its_own_section(tmp_path):
    "`fault-matrix --local --out FILE` prints its table and writes it after the provider's, which it keeps."
    f = tmp_path/"FAULT_MATRIX.md"
    f.write_text("# Fault matrix\n\nprovider table\n")
    seen = E.Seen(E.ROWS[6], Run(0, "", ""), Run(0, "", ""))
    out = io.StringIO()
    with mock.patch.object(E, "env_matrix", lambda: E.EnvMatrix([seen])), contextlib.redirect_stdout(out):
        assert cli.main(["fault-matrix", "--local", "--out", str(f)]) == 0
    text = f.read_text()
    assert text.startswith("# Fault matrix\n\nprovider table\n\n" + E.MARK) and out.getvalue() in text
    with mock.patch.object(E, "env_matrix", lambda: E.EnvMatrix([seen])), contextlib.redirect_stdout(out):
        assert cli.main(["fault-matrix", "--local", "--out", str(f)]) == 0
    assert f.read_text() == text  # written again in place, not appended
    class Provider(list): passed = 0  # the provider's matrix, here with no cell
    with mock.patch("borg_llm.testing.faults.fault_matrix", lambda settings: Provider()), \
         mock.patch("borg_llm.testing.faults.matrix_markdown", lambda m: "new provider table\n"), \
         contextlib.redirect_stdout(io.StringIO()):
        assert E.print_matrix(out=str(f)) == 0  # the provider's matrix, written by `faults`, keeps this one
    from borg_llm.testing.faults import HEADER
    assert f.read_text() == HEADER + "new provider table\n\n" + E.MARK + text.split(E.MARK, 1)[1]
