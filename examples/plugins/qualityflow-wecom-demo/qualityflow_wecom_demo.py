"""A demo qualityflow plugin: post each notification to a WeCom (企业微信) group robot.

Install it next to qualityflow (``pip install ./examples/plugins/qualityflow-wecom-demo``)
and set ``QUALITYFLOW_WECOM_WEBHOOK_URL`` to the group robot's webhook address; every
``QualityFlow`` service then finds it through the ``qualityflow`` entry-point group and
calls :func:`qualityflow_notify` after each committed change. Raising on failure lets the
service record the delivery and retry it (``qms.deliver_pending()``).
"""

from __future__ import annotations

import logging
import os

import httpx

import qualityflow as qf
from qualityflow.notify import mask_url

__all__ = ["WEBHOOK_ENV", "markdown", "qualityflow_notify"]

WEBHOOK_ENV = "QUALITYFLOW_WECOM_WEBHOOK_URL"
MAX_BYTES = 4096  # WeCom's limit for one markdown message
COLOURS = {"critical": "warning", "major": "warning", "minor": "comment"}

log = logging.getLogger(__name__)


def markdown(notification: qf.Notification) -> str:
    """Render a notification in WeCom's markdown dialect (headings, quotes, <font>)."""
    severity = notification.severity.value if notification.severity else ""
    lines = [f"### {notification.title}"]
    if severity:
        lines.append(f'> Severity: <font color="{COLOURS[severity]}">{severity}</font>')
    lines += [
        f"> Record: {notification.subject_kind} {notification.subject_id}",
        f"> What happened: {notification.kind}",
        f"> At: {notification.at:%Y-%m-%d %H:%M %Z}",
    ]
    if notification.body:
        lines += ["", notification.body]
    # cut to WeCom's limit in bytes, dropping a character split by the cut
    return "\n".join(lines).encode()[:MAX_BYTES].decode(errors="ignore")


@qf.hookimpl
def qualityflow_notify(notification: qf.Notification) -> None:
    """Post ``notification`` to the WeCom robot; raise when WeCom does not accept it."""
    url = os.environ.get(WEBHOOK_ENV, "").strip()
    if not url:
        log.warning("%s is not set: %r not sent to WeCom", WEBHOOK_ENV, notification.title)
        return
    target = mask_url(url)  # the robot key is in the URL: never show it
    payload = {"msgtype": "markdown", "markdown": {"content": markdown(notification)}}
    try:
        response = httpx.post(url, json=payload, timeout=10)
    except httpx.HTTPError as exc:
        raise qf.DeliveryError("wecom_demo", target, f"{type(exc).__name__}") from exc
    if not response.is_success:
        raise qf.DeliveryError("wecom_demo", target, f"HTTP {response.status_code}")
    answer = response.json()
    if answer.get("errcode", 0) != 0:  # WeCom answers 200 with an error code
        reason = f"WeCom error {answer.get('errcode')}: {answer.get('errmsg', '')}"
        raise qf.DeliveryError("wecom_demo", target, reason)
