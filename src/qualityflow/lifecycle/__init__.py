"""Incident and complaint lifecycles: state machines, guards, deadlines, audit chain."""

from __future__ import annotations

from qualityflow.lifecycle.audit import (
    chain,
    record_hash,
    seal,
    verify_chain,
    verify_history,
)

__all__ = ["chain", "record_hash", "seal", "verify_chain", "verify_history"]
