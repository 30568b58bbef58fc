from pathlib import Path

from click.testing import CliRunner

from mdlinkcheck.cli import main

FIX = Path(__file__).parent / "fixtures"


def test_offline_reports_local_breakage():
    r = CliRunner(mix_stderr=False).invoke(main, ["--offline", str(FIX)])
    assert r.exit_code == 1
    assert "#configuraton  no such heading" in r.output and "nope.md  no such file" in r.output
    assert "2 broken links in 2 files" in r.stderr


def test_remote_404(httpx_mock):
    httpx_mock.add_response(method="HEAD", url="https://example.org/page", status_code=404)
    r = CliRunner(mix_stderr=False).invoke(main, ["--format", "json", str(FIX / "doc.md")])
    assert '"error": "404 Not Found"' in r.output
