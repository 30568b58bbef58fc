"""The report page: every project and its sections, untrusted text kept as text, the plots, what changed since an
older folder (page and DataFrame), unreadable result files, and `run_report`'s exit statuses."""
import html.parser, importlib.util, json, re, shutil
from pathlib import Path
import pytest
from borg_llm.batch import run_batch
from borg_llm.report import SCORES, diff_results, load_results, report, run_report

SAMPLES = sorted((Path(__file__).resolve().parent.parent/"data/samples").glob("*.json"))
EVIL = ('<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
        '<a href="javascript:window.__pwned=3">click</a>')


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    "The sample projects' dry-run results (what `borg-llm batch --dry-run data/samples/*.json` writes)."
    out = tmp_path_factory.mktemp("batch")/"samples"
    run_batch(SAMPLES, out, dry_run=True, progress=False)
    return out


def copy_of(src:Path, dst:Path) -> Path:
    "A copy of a results folder, without its report."
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("*.html"))
    return dst


def edit(path:Path, change) -> None:
    "Apply `change(llm_results)` to a result file."
    a = json.loads(path.read_text())
    change(a["llm_results"])
    path.write_text(json.dumps(a))


def plant(results:Path, name:str="evil") -> Path:
    "Add a result whose every text a README or a model could have written is markup that would run code."
    a = json.loads(next(p for p in sorted(results.glob("*.json"))).read_text())
    r, m = a["llm_results"], a["llm_results"]["metadata"]
    m.update(project=f"{name} {EVIL}", kind=EVIL, models_used=[EVIL, "dry-run"], security=[EVIL], status=EVIL,
             contradicted=[dict(role="business", field="problem_solved", text=EVIL, evidence=EVIL, reason=EVIL)],
             breakdown={"borg_tools_fit": {EVIL: EVIL}}, last_commit="2024-03-01T00:00:00Z")
    m["roles"]["business"].update(status="failed", error=EVIL, model_answered=EVIL)
    r["aggregated_insights"].update(overall_assessment=EVIL, top_priorities=[EVIL], vibecodibility_rationale=EVIL)
    r["architect_analysis"]["technical_debt_rationale"] = EVIL
    r["business_analysis"].update(market_viability_rationale=EVIL)
    r["deployment_analysis"]["deployment_blockers"] = [dict(issue=EVIL, evidence=EVIL, severity="high")]
    (results/f"{name}.json").write_text(json.dumps(a))
    return results


class Tags(html.parser.HTMLParser):
    "Every start tag of a page, with its attributes, as an HTML parser sees them."
    def __init__(self, page:str): super().__init__(); self.tags = []; self.feed(page)
    def handle_starttag(self, tag, attrs): self.tags.append((tag, dict(attrs)))


def rows_of(page:str) -> list[dict]:
    "The attributes of the project table's rows."
    return [a for t, a in Tags(page).tags if t == "tr" and "data-status" in a]


def test_every_project_with_its_scores_status_and_cost(samples, tmp_path):
    r = report(samples, out=tmp_path/"r.html")
    page = (tmp_path/"r.html").read_text()
    assert page == r.html and len(r.rows) == len(SAMPLES)
    assert [a["data-status"] for a in rows_of(page)] == ["ok"] * len(SAMPLES)
    for p in SAMPLES: assert f'<a href="#p{SAMPLES.index(p) + 1}">{p.stem}</a>' in page
    for label in SCORES.values(): assert f"<th>{label}</th>" in page
    quick = json.loads((samples/"quickpoll.json").read_text())["llm_results"]
    v = quick["business_analysis"]["market_viability"]
    assert f'data-v="{v}"><span class="bar" style="--v:{v}"></span>{v}</td>' in page
    assert quick["aggregated_insights"]["overall_assessment"] in page
    for b in quick["deployment_analysis"]["deployment_blockers"]:
        assert f'{b["issue"]} <code>{b["evidence"]}</code>' in page
    bd = quick["metadata"]["breakdown"]
    assert v == bd["market_viability"]["score"] and bd["market_viability"]["holistic"] is not None
    card = page[page.index('<h3>quickpoll'):]
    assert "tests: 0 × 1" in card and "left out: " in card and f'model: {bd["market_viability"]["holistic"]}' in card
    assert f"<dt>technical debt: {bd['technical_debt_priority']['score']}</dt><dd>tests: 0 × 3" in card
    assert f"{len(SAMPLES)} projects · {len(SAMPLES)} ok" in page and "no time or token data: dry-run results" in page
    dated = [p for p in SAMPLES if "git" in json.loads(p.read_text())] # samples made with a git history
    assert dated and "no activity data" not in page and page.count("<svg") == 2


def test_the_page_needs_nothing_from_outside(samples, tmp_path):
    page = report(samples, out=tmp_path/"r.html").html
    tags = Tags(page).tags
    assert [t for t, _ in tags].count("script") == 1 and all("src" not in a for t, a in tags if t == "script")
    assert not [t for t, _ in tags if t in ("link", "iframe", "object", "embed", "img")]
    assert [a["href"] for _, a in tags if "href" in a and not a["href"].startswith("#")] == []
    assert not re.search(r"url\((?!#)|@import|https?://(?!www\.w3\.org/)", page)  # only the SVG's namespaces
    csp = next(a["content"] for t, a in tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp


def test_sections_show_contradictions_security_breakdown_and_roles(samples, tmp_path):
    d = copy_of(samples, tmp_path/"r")
    finding = dict(role="deployment", field="deployment_blockers[0]", text="No CI configuration", status="contradicted",
                   evidence='key_files.ci = [".github/workflows/ci.yml"]', reason="the facts show it")
    def enrich(r):
        m = r["metadata"]
        m.update(contradicted=[finding], security=[{"kind": "prompt injection", "where": "README.md"}],
                 breakdown={"market_viability": {"has users": 2, "documented": 1}}, dry_run=False, status="degraded")
        m["roles"]["business"].update(status="failed", error="HTTP 503", latency_s=2.5, prompt_tokens=900,
                                      completion_tokens=120)
    edit(d/"ledgerd.json", enrich)
    page = report(d).html
    at = [p.stem for p in SAMPLES].index("ledgerd") + 1
    ledgerd = page[page.index(f'id="p{at}"'):page.index(f'id="p{at + 1}"')]
    assert "Contradicted findings" in ledgerd and "No CI configuration" in ledgerd
    assert "key_files.ci = [&#34;.github/workflows/ci.yml&#34;]" in ledgerd
    assert "kind: prompt injection; where: README.md" in ledgerd and "⚠ 1" in page
    assert "has users: 2 · documented: 1" in ledgerd  # the breakdown, in place of the rationale
    assert "Code quality" in ledgerd  # the other scores keep their rationale
    assert "failed <small>HTTP 503</small>" in ledgerd and ">2.5</td><td class=\"num\">1020</td>" in ledgerd
    assert [a["data-status"] for a in rows_of(page)].count("degraded") == 1
    assert page.count("<svg") == 3  # scores, scores by last commit (the samples with a git history), time and tokens


def test_untrusted_text_stays_text(samples, tmp_path):
    page = report(plant(copy_of(samples, tmp_path/"r"))).html
    tags = Tags(page).tags
    assert [t for t, _ in tags].count("script") == 1
    assert [(t, k) for t, a in tags for k in a if k.startswith("on")] == []
    assert not [t for t, _ in tags if t in ("img", "iframe", "object", "embed")]
    assert [a["href"] for t, a in tags if "href" in a and not a["href"].startswith("#")] == []
    assert page.count("&lt;script&gt;window.__pwned=1&lt;/script&gt;") >= 10  # shown, as text
    assert "&lt;script&gt;window.__pw" in page[page.index("<svg"):]  # a kind in a plot's label too


def test_plots_group_by_kind_and_draw_activity(samples, tmp_path):
    d = copy_of(samples, tmp_path/"r")
    for i, p in enumerate(sorted(d.glob("*.json"))):
        edit(p, lambda r: r["metadata"].update(kind=("cli", "library")[i % 2], last_commit=f"2024-0{i % 9 + 1}-02"))
    page = report(d).html
    assert page.count("<svg") == 2 and "no activity data" not in page
    plot = page[page.index("<svg"):page.index("</svg>")]
    assert ">cli<" in plot and ">library<" in plot and ">unknown<" not in plot
    assert report(d).html == page  # the same results, the same page


def test_without_matplotlib_the_page_says_so(samples, tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "matplotlib" else real(n, *a))
    page = report(samples, out=tmp_path/"r.html").html
    assert "<svg" not in page and "plots need matplotlib" in page


def test_since_says_what_changed(samples, tmp_path):
    new = copy_of(samples, tmp_path/"new")
    (new/"ledgerd.json").unlink()
    shutil.copy(new/"slugkit.json", new/"slugkit-2.json")
    def worse(r):
        r["business_analysis"]["market_viability"] -= 2
        r["aggregated_insights"]["borg_tools_fit"] += 1
        r["deployment_analysis"]["deployment_blockers"] = [dict(issue="No Dockerfile", evidence="key_files.docker",
                                                                severity="medium")]
        first = r["aggregated_insights"]["top_priorities"][0]
        r["aggregated_insights"]["top_priorities"] = [f"  {first.upper()} ", "Write a release note"]
        r["metadata"]["status"] = "degraded"
    edit(new/"quickpoll.json", worse)
    df = diff_results(samples, new)
    assert df.change.to_dict() == {**{p.stem: "unchanged" for p in SAMPLES}, "ledgerd": "removed",
                                   "slugkit-2": "added", "quickpoll": "changed"}
    q = df.loc["quickpoll"]
    old = json.loads((samples/"quickpoll.json").read_text())["llm_results"]
    was = old["business_analysis"]["market_viability"]
    assert (q.market_viability, q.vibecodibility_score, q.borg_tools_fit, q.market_viability_now) == (-2, 0, 1, was - 2)
    assert q.status == "ok → degraded" and df.loc["slugkit", "status"] == "ok"
    assert q.blockers_new == ["No Dockerfile"]
    assert q.blockers_gone == [b["issue"] for b in old["deployment_analysis"]["deployment_blockers"]]
    assert q.priorities_new == ["Write a release note"]  # the first is the same text in capitals: not new
    assert q.priorities_gone == old["aggregated_insights"]["top_priorities"][1:]
    assert str(df.dtypes["market_viability"]) == "Int64" and df.loc["ledgerd", "market_viability"] is __import__("pandas").NA

    page = report(new, since=samples).html
    changes = page[page.index("<h2>Since samples</h2>"):page.index("<h2>Projects</h2>")]
    assert f"1 added · 1 removed · 1 changed · {len(SAMPLES) - 2} unchanged" in changes
    assert '<td class="num minus">-2</td>' in changes and '<td class="num plus">+1</td>' in changes
    assert '<div class="new">No Dockerfile</div>' in changes and '<div class="gone">' in changes
    assert f"<details><summary>{len(SAMPLES) - 2} unchanged</summary>" in changes and "tinyhttp-py" in changes


def test_unreadable_files_and_unread_entries_are_rows(samples, tmp_path):
    d = copy_of(samples, tmp_path/"r")
    (d/"torn.json").write_text('{"llm_results": {"metad')
    (d/"list.json").write_text("[1, 2]")
    (d/"nometa.json").write_text('{"llm_results": {}}')
    with open(d/"summary.jsonl", "a") as f:
        f.write(json.dumps(dict(key="gone", source="../repos/gone", status="error", error="../repos/gone: no such "
                                "directory")) + "\n{not json\n")
    rows = {r["key"]: r for r in load_results(d)}
    assert [rows[k]["status"] for k in ("torn", "list", "nometa", "gone")] == ["unreadable"] * 3 + ["error"]
    assert rows["torn"]["error"] == "not a readable result: not JSON"
    assert rows["nometa"]["error"] == "not a readable result: no 'metadata'"
    page = report(d).html
    assert [a["data-status"] for a in rows_of(page)].count("unreadable") == 3
    assert "torn</a> <small>torn.json</small>" in page and "../repos/gone: no such directory" in page


def test_run_report_exit_statuses(samples, tmp_path, capsys):
    def run(*args):
        code = run_report(*args)
        out, err = capsys.readouterr()
        return code, out, err
    (tmp_path/"empty").mkdir()
    (tmp_path/"notes").mkdir(); (tmp_path/"notes/summary.txt").write_text("hello")
    for args, line in [((tmp_path/"nowhere",), f"borg-llm: {tmp_path/'nowhere'}: no such folder\n"),
                       ((tmp_path/"empty",), f"borg-llm: {tmp_path/'empty'}: no results (*.json) in this folder\n"),
                       ((tmp_path/"notes",), f"borg-llm: {tmp_path/'notes'}: no results (*.json) in this folder\n"),
                       ((samples, None, tmp_path/"old"), f"borg-llm: {tmp_path/'old'}: no such folder\n"),
                       ((samples, tmp_path/"no/dir/r.html"), f"borg-llm: cannot write {tmp_path/'no/dir/r.html'}: "
                                                           "No such file or directory\n")]:
        assert run(*args) == (2, "", line)
    assert run(samples, tmp_path/"r.html") == (0, f"{len(SAMPLES)} projects: report in {tmp_path/'r.html'}\n", "")
    assert (tmp_path/"r.html").read_text().startswith("<!doctype html>")
    d = copy_of(samples, tmp_path/"torn")
    (d/"half.json").write_text("{")
    code, out, err = run(d, None, samples)
    assert (code, out) == (0, f"{len(SAMPLES) + 1} projects: report in {d/'report.html'}\n")
    assert err == "borg-llm: warning: 1 unreadable result file(s), shown as such: half.json\n"
