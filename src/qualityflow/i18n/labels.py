"""Display words of the enum values a person reads in reasons and reports.

The values themselves (``"refund"``, ``"critical"``) stay in stored data and JSON; these
English words are the message ids their translations are looked up by
(:func:`qualityflow.i18n.label`).
"""

from __future__ import annotations

from qualityflow.i18n import N_

__all__ = ["LABELS"]

LABELS: dict[str, str] = {
    # entity kinds
    "incident": N_("incident"),
    "complaint": N_("complaint"),
    "nonconformance": N_("nonconformance"),
    "supplier_action": N_("supplier corrective action request"),
    # severity
    "critical": N_("critical"),
    "major": N_("major"),
    "minor": N_("minor"),
    # triggers (shown in report timelines; reasons name them as identifiers)
    "assess": N_("assess"),
    "contain": N_("contain"),
    "investigate": N_("investigate"),
    "correct": N_("correct"),
    "verify": N_("verify"),
    "close": N_("close"),
    "rework": N_("rework"),
    "cancel": N_("cancel"),
    "reopen": N_("reopen"),
    "acknowledge": N_("acknowledge"),
    "resolve": N_("resolve"),
    "reject": N_("reject"),
    "escalate": N_("escalate"),
    # deadline steps (legal clocks of the presets too)
    "report": N_("report"),
    "start": N_("start the recall"),
    "report_plan": N_("report the recall plan"),
    "complete": N_("complete the recall"),
    "records": N_("hand over the records"),
    # incident states
    "reported": N_("reported"),
    "assessed": N_("assessed"),
    "contained": N_("contained"),
    "investigating": N_("investigating"),
    "correcting": N_("correcting"),
    "verifying": N_("verifying"),
    "closed": N_("closed"),
    "cancelled": N_("cancelled"),
    # recall, nonconformance and SCAR states and triggers
    "planned": N_("planned"),
    "notified": N_("notified"),
    "recovering": N_("recovering"),
    "completed": N_("completed"),
    "terminated": N_("terminated"),
    "dispositioned": N_("dispositioned"),
    "requested": N_("requested"),
    "responded": N_("responded"),
    "verified": N_("verified"),
    "nonconformance.open": N_("open (awaiting disposition)"),
    "notify": N_("notify"),
    "confirm": N_("confirm"),
    "record_return": N_("record a return"),
    "unreachable": N_("unreachable"),
    "check": N_("check effectiveness"),
    "recover": N_("recover"),
    "terminate": N_("terminate"),
    "dispose": N_("dispose"),
    "respond": N_("respond"),
    # complaint states
    "received": N_("received"),
    "acknowledged": N_("acknowledged"),
    "resolved": N_("resolved"),
    # a complaint's verifying is the verification of its information, not of actions
    "complaint.verifying": N_("verifying the information"),
    "complaint.closed": N_("closed (case closed)"),
    "complaint.verify": N_("verify the information"),
    "rejected": N_("rejected"),
    # containment actions
    "quarantine": N_("quarantine"),
    "hold": N_("hold"),
    "scrap": N_("scrap"),
    "recall": N_("recall"),
    "stop_shipment": N_("stop shipment"),
    # resolutions
    "refund": N_("refund"),
    "replacement": N_("replacement"),
    "repair": N_("repair"),
    "compensation": N_("compensation"),
    "explanation": N_("explanation"),
    # six Ms
    "man": N_("man"),
    "machine": N_("machine"),
    "material": N_("material"),
    "method": N_("method"),
    "environment": N_("environment"),
    "measurement": N_("measurement"),
    # root-cause methods
    "five_why": N_("5-Why"),
    "fishbone": N_("fishbone"),
    # channels
    "phone": N_("phone"),
    "email": N_("e-mail"),
    "online_chat": N_("online chat"),
    "social_media": N_("social media"),
    "in_person": N_("in person"),
    "distributor": N_("distributor"),
    "platform_12315": N_("12315 platform"),
    "ecommerce": N_("e-commerce platform"),
    "wechat": N_("WeChat"),
    "letter": N_("letter"),
    "12315 acceptance": N_("12315 acceptance decision"),
    "12315 mediation": N_("12315 mediation"),
    # action status and kind
    "open": N_("open"),
    "done": N_("done"),
    "corrective": N_("corrective"),
    "preventive": N_("preventive"),
    # supplier status
    "approved": N_("approved"),
    "conditional": N_("conditional"),
    "suspended": N_("suspended"),
    "disqualified": N_("disqualified"),
    # batch kinds and statuses
    "raw_material": N_("raw material"),
    "packaging": N_("packaging"),
    "intermediate": N_("intermediate"),
    "finished": N_("finished"),
    "released": N_("released"),
    "quarantined": N_("quarantined"),
    "on_hold": N_("on hold"),
    "recalled": N_("recalled"),
    "scrapped": N_("scrapped"),
}
"""Enum value -> English display word (the message id)."""
