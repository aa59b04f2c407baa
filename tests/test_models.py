"""The domain models, told as a biscuit plant's records."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

import qualityflow as qf

MODEL_NAMES = [
    "Quantity",
    "Supplier",
    "SupplierStatus",
    "SupplierEvaluation",
    "Batch",
    "BatchKind",
    "BatchStatus",
    "Shipment",
    "Inspection",
    "Incident",
    "TeamMember",
    "EmergencyTeam",
    "ImpactAssessment",
    "ContainmentAction",
    "RecallDecision",
    "RootCauseAnalysis",
    "SixM",
    "CorrectiveAction",
    "Verification",
    "TransitionRecord",
    "Complaint",
    "Channel",
    "Contact",
    "Resolution",
    "FollowUp",
    "Severity",
    "Notification",
]


def test_every_model_name_is_exported_at_top_level() -> None:
    missing = [name for name in MODEL_NAMES if not hasattr(qf, name)]
    assert missing == []
    assert set(MODEL_NAMES) <= set(qf.__all__)


def test_enum_values_are_the_lower_case_words_of_the_design() -> None:
    assert [s.value for s in qf.SupplierStatus] == [
        "approved",
        "conditional",
        "suspended",
        "disqualified",
    ]
    assert [k.value for k in qf.BatchKind] == [
        "raw_material",
        "packaging",
        "intermediate",
        "finished",
    ]
    assert [s.value for s in qf.BatchStatus] == [
        "released",
        "quarantined",
        "on_hold",
        "recalled",
        "scrapped",
    ]
    assert [m.value for m in qf.SixM] == [
        "man",
        "machine",
        "material",
        "method",
        "environment",
        "measurement",
    ]
    # DESIGN's six, then the Chinese intake channels of issue 16.
    assert [c.value for c in qf.Channel] == [
        "phone",
        "email",
        "online_chat",
        "social_media",
        "in_person",
        "distributor",
        "platform_12315",
        "ecommerce",
        "wechat",
        "letter",
    ]
    assert [s.value for s in qf.Severity] == ["critical", "major", "minor"]


def test_a_new_incident_needs_only_id_title_and_severity() -> None:
    incident = qf.Incident(id="INC-1", title="Metal shard in tissue roll", severity="critical")
    assert incident.status is qf.IncidentStatus.REPORTED
    assert (
        incident.team,
        incident.assessment,
        incident.recall,
        incident.root_cause,
        incident.verification,
    ) == (None, None, None, None, None)
    assert (incident.containment, incident.actions, incident.lessons, incident.history) == (
        [],
        [],
        [],
        [],
    )
    assert incident.version == 0
    assert incident.reported_at.tzinfo is not None


def test_a_new_complaint_starts_received(t0: datetime) -> None:
    complaint = qf.Complaint(
        id="CMP-1",
        customer_id="CUST-FRESHMART",
        channel="phone",
        received_at=t0,
        description="Biscuits taste rancid",
        batch_ids=[],
        severity="major",
    )
    assert complaint.status is qf.ComplaintStatus.RECEIVED
    assert complaint.contacts == [] and complaint.resolution is None
    assert complaint.rejection_reason is None and complaint.incident_id is None


def test_flour_lot_released_by_default(flour_lot: qf.Batch) -> None:
    assert flour_lot.status is qf.BatchStatus.RELEASED
    assert flour_lot.quantity == qf.Quantity(amount=Decimal("1000"), unit="kg")


def test_unknown_batch_kind_names_the_field() -> None:
    with pytest.raises(ValidationError) as err:
        qf.Batch(
            id="B", kind="semi_finished", product="dough", quantity=qf.Quantity(amount=1, unit="kg")
        )
    assert err.value.errors()[0]["loc"] == ("kind",)
    assert "raw_material" in str(err.value)


def test_negative_quantity_is_refused() -> None:
    with pytest.raises(ValidationError) as err:
        qf.Quantity(amount=-5, unit="kg")
    assert err.value.errors()[0]["loc"] == ("amount",)


def test_extra_field_is_refused(flour_lot: qf.Batch) -> None:
    with pytest.raises(ValidationError) as err:
        qf.Batch.model_validate({**flour_lot.model_dump(), "colour": "white"})
    assert err.value.errors()[0]["loc"] == ("colour",)
    assert err.value.errors()[0]["type"] == "extra_forbidden"


def test_naive_datetime_is_refused_with_a_message_that_says_so(t0: datetime) -> None:
    with pytest.raises(ValidationError) as err:
        qf.Shipment(
            id="S",
            batch_id="B",
            customer_id="C",
            quantity=qf.Quantity(amount=1, unit="pack"),
            shipped_at=datetime(2026, 3, 3, 8, 0),
        )
    assert err.value.errors()[0]["loc"] == ("shipped_at",)
    assert "timezone" in str(err.value)


def test_assignment_is_validated(biscuit_batch: qf.Batch) -> None:
    with pytest.raises(ValidationError):
        biscuit_batch.status = "lost"  # type: ignore[assignment]
    biscuit_batch.status = "quarantined"  # type: ignore[assignment]
    assert biscuit_batch.status is qf.BatchStatus.QUARANTINED


def test_quantities_add_within_a_unit_and_refuse_across_units() -> None:
    kg = qf.Quantity(amount="2.5", unit="kg")
    assert kg + kg == qf.Quantity(amount=5, unit="kg")
    assert kg - qf.Quantity(amount=1, unit="kg") == qf.Quantity(amount="1.5", unit="kg")
    with pytest.raises(qf.UnitMismatchError) as err:
        kg + qf.Quantity(amount=1, unit="carton")
    assert "'kg'" in str(err.value) and "'carton'" in str(err.value)
    assert isinstance(err.value, ValueError) and isinstance(err.value, qf.QualityFlowError)
    with pytest.raises(ValueError, match="negative"):
        kg - qf.Quantity(amount=3, unit="kg")


def test_supplier_evaluation_weights_the_criteria() -> None:
    evaluation = qf.SupplierEvaluation(
        period="2026-Q1",
        scores={"quality": 90, "delivery": 70, "service": 80},
        weights={"quality": 5, "delivery": 3, "service": 2},
    )
    assert evaluation.weighted_total == Decimal(90 * 5 + 70 * 3 + 80 * 2) / 10


def test_supplier_evaluation_refuses_unweighted_criteria() -> None:
    with pytest.raises(ValidationError, match="same criteria"):
        qf.SupplierEvaluation(period="2026-Q1", scores={"quality": 90}, weights={"price": 1})


def test_inspection_cannot_pass_with_an_out_of_limit_characteristic(t0: datetime) -> None:
    moisture = qf.Characteristic(
        name="moisture", value=Decimal("15.2"), upper=Decimal(14), unit="%"
    )
    with pytest.raises(ValidationError, match="moisture"):
        qf.Inspection(
            id="IN-1",
            batch_id="FLOUR-0412",
            stage="incoming",
            result="pass",
            characteristics=[moisture],
            at=t0,
        )
    failed = qf.Inspection(
        id="IN-1",
        batch_id="FLOUR-0412",
        stage="incoming",
        result="fail",
        characteristics=[moisture],
        at=t0,
    )
    assert not failed.characteristics[0].conforms


def test_check_type_belongs_to_in_process_inspections() -> None:
    qf.Inspection(id="IN-2", batch_id="B", stage="in_process", result="pass", check_type="patrol")
    with pytest.raises(ValidationError, match="in_process"):
        qf.Inspection(id="IN-3", batch_id="B", stage="final", result="pass", check_type="self")


def test_follow_up_score_is_one_to_five(t0: datetime) -> None:
    with pytest.raises(ValidationError) as err:
        qf.FollowUp(at=t0, satisfied=True, score=6)
    assert err.value.errors()[0]["loc"] == ("score",)


def test_json_schemas_cover_every_top_level_model() -> None:
    schemas = qf.json_schemas()
    assert {"Supplier", "Batch", "Shipment", "Inspection", "Incident", "Complaint"} <= set(schemas)
    assert schemas["Incident"]["additionalProperties"] is False
    json.dumps(schemas)  # plain JSON


def test_a_payload_validates_against_its_json_schema(biscuit_batch: qf.Batch) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.validate(json.loads(biscuit_batch.model_dump_json()), qf.json_schemas()["Batch"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"id": "B"}, qf.json_schemas()["Batch"])


# --- round trips over generated models -------------------------------------------------

text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s != "")
aware = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))]
    ),
)
amounts = st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False, places=3)
quantities = st.builds(qf.Quantity, amount=amounts, unit=st.sampled_from(["kg", "pack", "m"]))
members = st.builds(qf.TeamMember, name=text, role=text, department=text)
records = st.builds(
    qf.TransitionRecord,
    at=aware,
    actor=text,
    trigger=text,
    source=text,
    dest=text,
    note=st.text(max_size=10),
    prev_hash=st.text(max_size=5),
    hash=st.text(max_size=5),
)
actions = st.builds(
    qf.CorrectiveAction,
    id=text,
    description=text,
    owner=st.none() | text,
    department=st.none() | text,
    due=st.none() | st.dates(min_value=date(2000, 1, 1)),
    kind=st.sampled_from(qf.ActionKind),
    status=st.just(qf.ActionStatus.OPEN),
)
rca = st.builds(
    qf.RootCauseAnalysis,
    method=st.sampled_from(qf.RcaMethod),
    problem=text,
    whys=st.lists(text, max_size=5),
    fishbone=st.dictionaries(st.sampled_from(qf.SixM), st.lists(text, max_size=3)),
    root_cause=text,
    category=st.sampled_from(qf.SixM),
    confirmed=st.booleans(),
)

incidents = st.builds(
    qf.Incident,
    id=text,
    title=text,
    severity=st.sampled_from(qf.Severity),
    status=st.sampled_from(qf.IncidentStatus),
    reported_at=aware,
    reported_by=text,
    batch_ids=st.lists(text, max_size=4),
    team=st.none()
    | st.builds(qf.EmergencyTeam, leader=members, members=st.lists(members, max_size=3)),
    assessment=st.none()
    | st.builds(
        qf.ImpactAssessment,
        severity=st.sampled_from(qf.Severity),
        batch_ids=st.lists(text, max_size=3),
        regions=st.lists(text, max_size=3),
        risk=text,
        recall_required=st.booleans(),
        rationale=text,
    ),
    containment=st.lists(
        st.builds(
            qf.ContainmentAction,
            batch_id=text,
            action=st.sampled_from(qf.ContainmentKind),
            by=text,
            at=aware,
        ),
        max_size=3,
    ),
    recall=st.none()
    | st.builds(
        qf.RecallDecision,
        initiated_at=aware,
        batch_ids=st.lists(text, max_size=3),
        customer_ids=st.lists(text, max_size=3),
        reason=text,
    ),
    root_cause=st.none() | rca,
    actions=st.lists(actions, max_size=3),
    verification=st.none()
    | st.builds(
        qf.Verification, effective=st.booleans(), evidence=text, verified_by=text, at=aware
    ),
    lessons=st.lists(text, max_size=3),
    history=st.lists(records, max_size=3),
    version=st.integers(min_value=0, max_value=10**6),
)

complaints = st.builds(
    qf.Complaint,
    id=text,
    customer_id=text,
    channel=st.sampled_from(qf.Channel),
    received_at=aware,
    description=text,
    batch_ids=st.lists(text, max_size=3),
    severity=st.sampled_from(qf.Severity),
    status=st.sampled_from(qf.ComplaintStatus),
    contacts=st.lists(
        st.builds(
            qf.Contact,
            at=aware,
            direction=st.sampled_from(qf.Direction),
            channel=st.sampled_from(qf.Channel),
            message=text,
            by=text,
        ),
        max_size=3,
    ),
    resolution=st.none()
    | st.builds(
        qf.Resolution,
        kind=st.sampled_from(qf.ResolutionKind),
        description=text,
        communicated_at=st.none() | aware,
    ),
    follow_up=st.none()
    | st.builds(
        qf.FollowUp,
        at=aware,
        satisfied=st.none() | st.booleans(),
        score=st.none() | st.integers(1, 5),
        attempts=st.integers(0, 9),
        note=st.text(max_size=10),
    ),
    rejection_reason=st.none() | text,
    incident_id=st.none() | text,
    history=st.lists(records, max_size=3),
)

batches = st.builds(
    qf.Batch,
    id=text,
    kind=st.sampled_from(qf.BatchKind),
    product=text,
    quantity=quantities,
    status=st.sampled_from(qf.BatchStatus),
    supplier_id=st.none() | text,
    line=st.none() | text,
    produced_at=st.none() | aware,
    attributes=st.dictionaries(text, st.none() | st.booleans() | st.integers() | text, max_size=3),
)
shipments = st.builds(
    qf.Shipment,
    id=text,
    batch_id=text,
    customer_id=text,
    quantity=quantities,
    shipped_at=aware,
    region=st.none() | text,
)
suppliers = st.builds(
    qf.Supplier,
    id=text,
    name=text,
    status=st.sampled_from(qf.SupplierStatus),
    materials=st.lists(text, max_size=3),
    evaluations=st.lists(
        st.builds(
            qf.SupplierEvaluation,
            period=text,
            scores=st.just({"quality": Decimal(90), "delivery": Decimal("72.5")}),
            weights=st.just({"quality": Decimal(2), "delivery": Decimal(1)}),
        ),
        max_size=2,
    ),
)
inspections = st.builds(
    qf.Inspection,
    id=text,
    batch_id=text,
    stage=st.just(qf.InspectionStage.INCOMING),
    result=st.sampled_from(qf.InspectionResult),
    at=st.none() | aware,
    sample_size=st.none() | st.integers(0, 500),
    defects=st.integers(0, 10),
)


@settings(max_examples=60, deadline=None)
@given(st.one_of(incidents, complaints, batches, shipments, suppliers, inspections, quantities))
def test_every_model_round_trips_through_json_unchanged(model: BaseModel) -> None:
    again = type(model).model_validate_json(model.model_dump_json())
    assert again == model
    assert again.model_dump_json() == model.model_dump_json()
