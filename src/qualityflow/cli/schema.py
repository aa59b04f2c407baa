"""``qualityflow schema``: the JSON Schemas of the models other applications exchange."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from qualityflow.cli import _output as out
from qualityflow.cli._errors import fail, handles_errors
from qualityflow.i18n import N_, _

__all__ = ["HELP", "schema"]

HELP = N_("Print the JSON Schema of the models other applications exchange (JSON only).")
"""The command's help (its docstring, as a message id for ``--lang``)."""


@handles_errors
def schema(
    model: Annotated[
        str | None,
        typer.Argument(metavar="MODEL", help=N_("One model, e.g. Incident; default all.")),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", metavar="DIR", help=N_("Write one <Model>.schema.json per model here.")
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of the models other applications exchange (JSON only)."""
    from qualityflow.models import json_schemas

    schemas = json_schemas()
    if model is not None:
        if model not in schemas:
            raise fail(
                "not_found",
                _("no model {model!r}").format(model=model),
                _("use one of {choices}").format(choices=", ".join(schemas)),
            )
        schemas = {model: schemas[model]}
    if out_dir is None:
        out.print_json(schemas if model is None else schemas[model])
        return
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, body in schemas.items():
            (out_dir / f"{name}.schema.json").write_text(
                json.dumps(body, indent=2), encoding="utf-8"
            )
    except OSError as exc:
        raise fail(
            "bad_input",
            _("--out {path}: cannot write: {reason}").format(
                path=out_dir, reason=exc.strerror or exc
            ),
            _("give a directory that can be created and written"),
        ) from None
    out.note(
        _("{schemas} written to {path}").format(
            schemas=out.plural(len(schemas), "schema"), path=out_dir
        )
    )
