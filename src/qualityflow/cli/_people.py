"""Who may act on the command line: the plant's policy and its people, from the environment.

* ``QUALITYFLOW_POLICY``: ``open`` (the default: anyone may act), ``strict``
  (``qf.policies.STRICT``) or ``package.module:NAME``, a policy object the plant's own
  package defines (a ``qf.RolePolicy`` or anything with ``check(actor, action, subject)``).
* ``QUALITYFLOW_ACTORS``: a JSON file listing the people, ``[{"id": "dana", "name": "Dana
  Weber", "roles": ["qa_manager"], "department": "quality"}, ...]``: ``--actor dana``
  then acts as Dana with her roles (the built-in identity map; a plugin's
  ``qualityflow_resolve_actor`` is asked first).
* ``QUALITYFLOW_CREDENTIAL``: what a signed step (``fire ... --sign MEANING``) hands to the
  ``qualityflow_authenticate`` plugins; asked for without echo on a terminal when unset.

A bad value stops the command with exit 2 naming the variable.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path
from typing import Any

import typer

from qualityflow.cli._errors import fail
from qualityflow.i18n import _

__all__ = ["credential", "service_people"]

POLICY_ENV = "QUALITYFLOW_POLICY"
ACTORS_ENV = "QUALITYFLOW_ACTORS"
CREDENTIAL_ENV = "QUALITYFLOW_CREDENTIAL"


def _policy(value: str) -> Any:
    name = value.strip()
    if name.lower() in ("", "open"):
        return None
    if name.lower() == "strict":
        from qualityflow.people.policies import STRICT

        return STRICT
    module, sep, attr = name.partition(":")
    hint = _("give open, strict, or package.module:NAME of a policy object")
    if not sep or not module or not attr:
        raise fail(
            "bad_input",
            _("{env}={value!r} is not a policy").format(env=POLICY_ENV, value=value),
            hint,
        )
    try:
        policy = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as exc:
        raise fail(
            "bad_input",
            _("{env}={value!r}: cannot load it ({error})").format(
                env=POLICY_ENV, value=value, error=exc
            ),
            hint,
        ) from None
    if not callable(getattr(policy, "check", None)):
        raise fail(
            "bad_input",
            _("{env}={value!r} is a {type}, not a policy (it has no check method)").format(
                env=POLICY_ENV, value=value, type=type(policy).__name__
            ),
            hint,
        )
    return policy


def _actors(value: str) -> list[Any]:
    from pydantic import TypeAdapter, ValidationError

    from qualityflow.people import Actor

    path = Path(value).expanduser()
    hint = _(
        'a JSON list of people: [{{"id": "dana", "name": "Dana Weber", "roles": '
        '["qa_manager"], "department": "quality"}}]'
    ).format()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return list(TypeAdapter(list[Actor]).validate_python(raw))
    except OSError as exc:
        raise fail(
            "bad_input",
            _("{env}={value!r}: cannot read the file ({error})").format(
                env=ACTORS_ENV, value=value, error=exc.strerror or exc
            ),
            hint,
        ) from None
    except json.JSONDecodeError as exc:
        raise fail(
            "bad_input",
            _("{env}={value!r} is not JSON: {error}").format(
                env=ACTORS_ENV, value=value, error=exc
            ),
            hint,
        ) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise fail(
            "bad_input",
            _("{env}={value!r}: entry {where}: {error}").format(
                env=ACTORS_ENV, value=value, where=where, error=first["msg"]
            ),
            hint,
        ) from None


def service_people() -> dict[str, Any]:
    """Return the ``policy=`` and ``actors=`` the environment gives the service."""
    options: dict[str, Any] = {}
    policy = _policy(os.environ.get(POLICY_ENV, ""))
    if policy is not None:
        options["policy"] = policy
    actors = os.environ.get(ACTORS_ENV, "").strip()
    if actors:
        options["actors"] = _actors(actors)
    return options


def credential(actor: str) -> str | None:
    """Return the signer's credential: ``$QUALITYFLOW_CREDENTIAL``, else asked on a terminal."""
    given = os.environ.get(CREDENTIAL_ENV)
    if given is not None:
        return given
    if sys.stdin.isatty():
        answer: str = typer.prompt(
            _("credential of {actor} for the signature").format(actor=actor),
            hide_input=True,
            err=True,
        )
        return answer
    return None
