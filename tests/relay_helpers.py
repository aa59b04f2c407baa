"""Helpers for the relay tests: the brokers on 127.0.0.1 and reading back what arrived."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from typing import Any

import pytest

NATS_URL = "nats://127.0.0.1:4222"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
REDIS_URL = "redis://127.0.0.1:6379/0"


def answers(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def need(port: int, what: str, hint: str = ".ci/run starts it") -> None:
    """Skip the test with the reason when the server does not answer."""
    if not answers(port):
        pytest.skip(f"{what} does not answer on 127.0.0.1:{port} ({hint})")


def nats_target() -> tuple[str, str]:
    """A fresh JetStream stream: (relay URL, stream name)."""
    need(4222, "NATS JetStream")
    stream = "QFT" + uuid.uuid4().hex[:10].upper()
    return f"{NATS_URL}?stream={stream}&subject={stream.lower()}", stream


def jetstream_messages(stream: str, *, delete: bool = True) -> list[tuple[str, dict[str, Any]]]:
    """Every message of ``stream``: (Nats-Msg-Id header, CloudEvents JSON); drop the stream."""
    import nats

    async def read() -> list[tuple[str, dict[str, Any]]]:
        nc = await nats.connect(NATS_URL)
        try:
            js = nc.jetstream()
            try:
                info = await js.stream_info(stream)
            except Exception:
                return []
            total = info.state.messages
            out: list[tuple[str, dict[str, Any]]] = []
            sub = await js.pull_subscribe(f"{stream.lower()}.>", stream=stream)
            while len(out) < total:
                msgs = await sub.fetch(min(1000, total - len(out)), timeout=5)
                for m in msgs:
                    out.append(((m.headers or {}).get("Nats-Msg-Id", ""), json.loads(m.data)))
                    await m.ack()
            if delete:
                await js.delete_stream(stream)
            return out
        finally:
            await nc.close()

    return asyncio.run(read())
