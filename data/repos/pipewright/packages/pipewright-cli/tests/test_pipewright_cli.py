from click.testing import CliRunner
from pipewright_cli import main


def test_help():
    assert "Run and inspect" in CliRunner().invoke(main, ["--help"]).output
