"""The `pipewright` command."""
from __future__ import annotations
import importlib
import click
from pipewright import Pipeline


def _load(target: str) -> Pipeline:
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr or "pipeline")


@click.group()
def main() -> None:
    """Run and inspect pipewright pipelines."""


@main.command()
@click.argument("target")
def run(target: str) -> None:
    """Run the pipeline at MODULE:ATTR."""
    for name, value in _load(target).run().items():
        click.echo(f"{name}: {value!r}")


@main.command()
@click.argument("target")
def graph(target: str) -> None:
    """Print the steps in the order they run."""
    click.echo(" -> ".join(_load(target).order()))
