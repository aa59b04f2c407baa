"""The state digest of fields added after records began to carry digests.

A field added to a model changes the canonical form of every entity stored before it
existed, unless the digest leaves it out while it is empty: these tests hold the rule that
keeps an older row's last record matching its state.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

import qualityflow.models
from qualityflow.lifecycle.audit import ADDED_FIELDS, _state_form, state_digest


def _model_classes() -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {}
    for info in pkgutil.iter_modules(qualityflow.models.__path__, "qualityflow.models."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj.__module__.startswith("qualityflow."):
                found[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return list(found.values())


def test_every_added_field_defaults_to_its_empty_value() -> None:
    used: set[str] = set()
    for model in _model_classes():
        for name, info in model.model_fields.items():
            if name not in ADDED_FIELDS:
                continue
            default = (
                info.default_factory()  # type: ignore[call-arg]
                if info.default_factory is not None
                else info.default
            )
            assert default is not PydanticUndefined, f"{model.__name__}.{name} is required"
            assert default == ADDED_FIELDS[name], (
                f"{model.__name__}.{name} defaults to {default!r}; the digest drops it only "
                f"at {ADDED_FIELDS[name]!r}"
            )
            used.add(name)
    # every name the rule drops belongs to a model field (none left over from a rename)
    assert used == set(ADDED_FIELDS)


@pytest.mark.parametrize("name", sorted(ADDED_FIELDS))
def test_an_empty_added_field_is_dropped_at_any_depth_and_a_filled_one_counts(name: str) -> None:
    empty = ADDED_FIELDS[name]
    old = {"id": "INC-1", "containment": [{"action": "hold"}], "verification": None}
    new = {
        "id": "INC-1",
        "containment": [{"action": "hold", name: empty}],
        "verification": None,
        name: empty,
    }
    assert _state_form(new) == _state_form(old)
    filled = dict(new, **{name: ["x"] if isinstance(empty, list) else {"x": 1}})
    assert _state_form(filled) != _state_form(old)
    # an older field that happens to be None keeps its place in the digest
    assert "verification" in _state_form(old)


def test_digest_of_a_model_without_added_fields_is_unchanged_by_the_rule() -> None:
    import hashlib

    import pydantic_core

    import qualityflow as qf
    from qualityflow.lifecycle.audit import _sorted

    inc = qf.Incident(
        id="INC-1", title="Glass in jam", severity="critical", reported_at="2026-03-02T06:00:00Z"
    )
    payload = inc.model_dump(mode="json", exclude={"history", "amendments", "decisions", "version"})
    for name, empty in ADDED_FIELDS.items():
        if payload.get(name, object()) == empty:
            del payload[name]
    expected = hashlib.sha256(pydantic_core.to_json(_sorted(payload))).hexdigest()
    assert state_digest(inc) == expected
