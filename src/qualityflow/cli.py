"""The ``qualityflow`` command."""

from __future__ import annotations

import typer
from rich.console import Console

__all__ = ["app", "main"]

app = typer.Typer(help="qualityflow: quality-management workflows for light industry.")
console = Console()


@app.callback()
def _root() -> None:
    """Quality-management workflows: incidents, complaints, recalls, suppliers."""


@app.command()
def demo() -> None:
    """Build a small biscuit plant, an incident and a complaint, and print them."""
    from qualityflow._demo import build_plant

    plant = build_plant()
    for name, entity in plant.items():
        console.rule(name)
        console.print_json(entity.model_dump_json())


def main() -> None:
    """Run the command line (the ``qualityflow`` console script)."""
    app()
