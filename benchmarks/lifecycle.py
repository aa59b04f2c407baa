"""Benchmark: incidents through the whole loop on the shared lifecycle machine.

Takes N incidents (default 100,000) through assess, contain, investigate, correct, verify
and close with ``qf.INCIDENT_LIFECYCLE.fire`` (data validated, guards checked, record hashed
and chained), and compares the microseconds per ``fire`` with a bare ``transitions`` trigger
on the same machine in the same run (``INCIDENT_MACHINE.events[t].trigger(obj)`` on a plain
object holding only ``status``). Rounds alternate bare and fire so that other load on the
machine hits both alike; the best round of each is compared, the median is shown too. As
in ``timeit``, the cyclic garbage collector is paused while a round is timed, and rounds are
timed in process CPU time (``time.process_time``), so that other programs sharing the CPUs
do not count.

Then, under tracemalloc, it measures the memory the lifecycle keeps per entity once the
entities are gone (goal: 0), what an entity with its six history records weighs, and, for
contrast, what a ``transitions.Machine`` per object would cost.

    .venv/bin/python benchmarks/lifecycle.py            # 100,000 incidents
    .venv/bin/python benchmarks/lifecycle.py --n 2000   # quick run
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
import tracemalloc
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import transitions
from transitions import Machine

import qualityflow as qf
from qualityflow.lifecycle import INCIDENT_MACHINE
from qualityflow.lifecycle.machine import INCIDENT_STATES, INCIDENT_TRANSITIONS

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
LIFECYCLE = qf.INCIDENT_LIFECYCLE
BATCHES = ["BISC-0301", "BISC-0302"]


def loop_steps() -> list[tuple[str, dict[str, Any]]]:
    """The six steps of the loop with the data each one brings (built once, shared)."""
    team = qf.EmergencyTeam(
        leader=qf.TeamMember(name="Lena Ortiz", role="leader", department="quality"),
        members=[qf.TeamMember(name="Jon Park", role="line lead", department="production")],
    )
    assessment = qf.ImpactAssessment(
        severity="critical",
        batch_ids=BATCHES,
        risk="metal",
        regions=["CN-31"],
        rationale="the affected lots reached the market",
    )
    containment = [
        qf.ContainmentAction(batch_id=b, action="quarantine", by="Jon Park", at=T0) for b in BATCHES
    ]
    rca = qf.RootCauseAnalysis(
        method="five_why",
        problem="metal fragment",
        whys=["blade chipped", "blade past its life"],
        root_cause="no blade replacement interval",
        category="machine",
        confirmed=True,
    )
    open_action = qf.CorrectiveAction(
        id="CA-1",
        description="500-hour blade interval",
        owner="Ana Ruiz",
        department="maintenance",
        due=date(2026, 3, 9),
    )
    done_action = open_action.model_copy(update={"status": qf.ActionStatus.DONE, "done_at": T0})
    verification = qf.Verification(
        effective=True, evidence="0 rejects in 40 000 packs", verified_by="Lena Ortiz", at=T0
    )
    return [
        ("assess", {"assessment": assessment, "team": team}),
        ("contain", {"containment": containment}),
        ("investigate", {}),
        ("correct", {"root_cause": rca, "actions": [open_action]}),
        ("verify", {"actions": [done_action]}),
        ("close", {"verification": verification, "lessons": ["plan blade life"]}),
    ]


class Plain:
    """The bare model: an object that holds only the state, as transitions expects."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status = "reported"


class Unslotted:
    """A plain object a per-object Machine may attach its trigger methods to."""

    def __init__(self) -> None:
        self.status = "reported"


def new_incidents(n: int, start: int = 0) -> list[qf.Incident]:
    return [
        qf.Incident(id=f"INC-{i:06d}", title="Metal fragment", severity="critical", reported_at=T0)
        for i in range(start, start + n)
    ]


def run_fire(incidents: list[qf.Incident], steps: list[tuple[str, dict[str, Any]]]) -> float:
    fire = LIFECYCLE.fire
    at = T0 + timedelta(hours=1)
    start = time.process_time()
    for incident in incidents:
        for trigger, data in steps:
            fire(incident, trigger, actor="Lena Ortiz", at=at, **data)
    return time.process_time() - start


def timed(run: Any, *args: Any) -> float:
    """Run with the cyclic GC paused, as timeit does, so both sides are timed alike."""
    gc.collect()
    gc.disable()
    try:
        return float(run(*args))
    finally:
        gc.enable()


def run_bare(models: list[Plain], triggers: list[str]) -> float:
    events = INCIDENT_MACHINE.events
    bound = [events[t].trigger for t in triggers]
    start = time.process_time()
    for model in models:
        for trigger in bound:
            trigger(model)
    return time.process_time() - start


def timing(n: int, rounds: int) -> tuple[list[float], list[float]]:
    steps = loop_steps()
    triggers = [t for t, _ in steps]
    per_round = max(1, n // rounds)
    run_fire(new_incidents(200), steps)  # warm up pydantic and transitions
    run_bare([Plain() for _ in range(200)], triggers)
    fire_us: list[float] = []
    bare_us: list[float] = []
    done = 0
    while done < n:
        size = min(per_round, n - done)
        models = [Plain() for _ in range(size)]
        bare_us.append(timed(run_bare, models, triggers) / (size * len(steps)) * 1e6)
        incidents = new_incidents(size, done)
        fire_us.append(timed(run_fire, incidents, steps) / (size * len(steps)) * 1e6)
        assert all(i.status is qf.IncidentStatus.CLOSED for i in incidents)
        assert all(m.status == "closed" for m in models)
        done += size
    return fire_us, bare_us


def _in_lifecycle_code(snapshot: tracemalloc.Snapshot) -> int:
    """Bytes still allocated by code in qualityflow.lifecycle or in transitions."""
    keep = [
        tracemalloc.Filter(True, str(Path(qf.__file__).parent / "lifecycle" / "*")),
        tracemalloc.Filter(True, str(Path(transitions.__file__).parent / "*")),
    ]
    return sum(stat.size for stat in snapshot.filter_traces(keep).statistics("filename"))


def _one_pass(m: int, steps: list[tuple[str, dict[str, Any]]]) -> dict[str, float]:
    """Trace m incidents through the loop, drop them, and see what stays allocated."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    before_code = _in_lifecycle_code(tracemalloc.take_snapshot())
    incidents = new_incidents(m)
    created = tracemalloc.get_traced_memory()[0]
    run_fire(incidents, steps)
    looped = tracemalloc.get_traced_memory()[0]
    assert INCIDENT_MACHINE.models == []
    del incidents
    gc.collect()
    return {
        "entity": (created - before) / m,
        "loop": (looped - created) / m,
        "retained": tracemalloc.get_traced_memory()[0] - before,
        "retained_code": _in_lifecycle_code(tracemalloc.take_snapshot()) - before_code,
    }


def per_object_machines(k: int) -> tuple[float, float]:
    """Milliseconds and bytes of one transitions.Machine per object (the pattern avoided)."""

    def build() -> Machine:
        return Machine(
            model=Unslotted(),
            states=list(INCIDENT_STATES),
            transitions=[
                {"trigger": t["trigger"], "source": t["source"], "dest": t["dest"]}
                for t in INCIDENT_TRANSITIONS
            ],
            initial="reported",
            model_attribute="status",
            auto_transitions=False,
        )

    start = time.perf_counter()
    machines = [build() for _ in range(k)]
    elapsed = time.perf_counter() - start
    del machines
    gc.collect()
    tracemalloc.start()
    start_mem = tracemalloc.get_traced_memory()[0]
    machines = [build() for _ in range(k)]
    size = tracemalloc.get_traced_memory()[0] - start_mem
    tracemalloc.stop()
    assert len(machines) == k
    return elapsed / k * 1e3, size / k


def memory(m: int) -> dict[str, float]:
    """Per-entity memory, and retention as the growth between m/2 and m incidents.

    The interpreter's free lists and caches are bounded; memory the lifecycle kept per
    entity would grow with the number of entities.
    """
    steps = loop_steps()
    run_fire(new_incidents(50), steps)  # warm up caches before measuring
    tracemalloc.start(25)
    _one_pass(m, steps)  # fills the interpreter's free lists to their bounded size
    half = _one_pass(max(1, m // 2), steps)
    full = _one_pass(m, steps)
    tracemalloc.stop()
    extra = max(1, m - max(1, m // 2))
    machine_ms, machine_bytes = per_object_machines(max(1, min(m, 1000)))
    return {
        "entity": full["entity"],
        "loop": full["loop"],
        "retained_abs": full["retained"],
        "retained_code_abs": full["retained_code"],
        "retained": (full["retained"] - half["retained"]) / extra,
        "retained_code": (full["retained_code"] - half["retained_code"]) / extra,
        "machine_bytes": machine_bytes,
        "machine_ms": machine_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="incidents (default 100000)")
    parser.add_argument("--rounds", type=int, default=10, help="alternating timing rounds")
    parser.add_argument(
        "--memory-n", type=int, default=10_000, help="incidents traced by tracemalloc"
    )
    args = parser.parse_args()

    fire_us, bare_us = timing(args.n, args.rounds)
    best_fire, best_bare = min(fire_us), min(bare_us)
    print(f"{args.n:,} incidents x 6 transitions (assess .. close), {len(fire_us)} rounds")
    print(
        f"  bare transitions trigger, same machine: {best_bare:6.2f} us best, "
        f"{statistics.median(bare_us):6.2f} us median"
    )
    print(
        f"  INCIDENT_LIFECYCLE.fire (data, guards, hash chain): {best_fire:6.2f} us best, "
        f"{statistics.median(fire_us):6.2f} us median"
    )
    ratio = best_fire / best_bare
    paired = [f / b for f, b in zip(fire_us, bare_us, strict=True)]
    print(
        f"  fire / bare: {ratio:.2f}x best vs best, "
        f"{statistics.median(paired):.2f}x median of the "
        f"per-round ratios (goal: at most 3x) -> {'met' if ratio <= 3 else 'NOT met'}"
    )
    print(f"  load average while timing: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    m = min(args.n, args.memory_n)
    mem = memory(m)
    print(f"memory, tracemalloc over {m:,} incidents:")
    print(
        f"  a new incident: {mem['entity']:,.0f} B; its loop adds {mem['loop']:,.0f} B "
        f"(6 history records and the fields set; the entity's own data)"
    )
    print(
        f"  retained after the incidents are dropped, growth per incident between "
        f"{m // 2:,} and {m:,}: {mem['retained']:+.2f} B overall, "
        f"{mem['retained_code']:+.2f} B allocated in lifecycle or transitions code "
        f"(goal: 0) -> {'met' if mem['retained_code'] < 1 else 'NOT met'}"
    )
    print(
        f"  (absolute after {m:,}: {mem['retained_abs']:,.0f} B overall, "
        f"{mem['retained_code_abs']:,.0f} B in that code: interpreter free lists, bounded)"
    )
    print(
        f"  for contrast, a transitions.Machine per object: {mem['machine_ms']:.3f} ms and "
        f"{mem['machine_bytes'] / 1024:,.1f} KiB each"
    )
    print(f"  shared machine models attached: {len(INCIDENT_MACHINE.models)}")


if __name__ == "__main__":
    main()
