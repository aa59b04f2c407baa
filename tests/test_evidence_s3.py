"""Evidence files in an S3-compatible object store (``blobs="s3://bucket/prefix"``).

The store is a real S3 HTTP endpoint on 127.0.0.1: moto's server (``moto[server]``, a dev
dependency), reached by s3fs through fsspec's configuration, as a plant reaches MinIO.
"""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

import qualityflow as qf
from qualityflow.evidence.remote import FsspecBlobStore
from qualityflow.i18n import using

fsspec = pytest.importorskip("fsspec", reason="the s3 extra (fsspec) is not installed")
pytest.importorskip("s3fs", reason="the s3 extra (s3fs) is not installed")
moto_server = pytest.importorskip(
    "moto.server", reason="moto[server] (the local S3 endpoint) is not installed"
)

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """fsspec configured for the local endpoint (as FSSPEC_S3_ENDPOINT_URL would); a bucket."""
    options = {"endpoint_url": endpoint, "key": "testing", "secret": "testing"}
    monkeypatch.setitem(fsspec.config.conf, "s3", options)
    fs = fsspec.filesystem("s3", skip_instance_cache=True, **options)
    if not fs.exists("qms-evidence"):
        fs.mkdir("qms-evidence")
    return fs


def _plant(qms: qf.QualityFlow) -> None:
    qms.batches.add(
        qf.Batch(
            id="JAM-0412",
            kind="finished",
            product="strawberry jam",
            quantity=qf.Quantity(amount=400, unit="kg"),
        )
    )
    qms.incidents.add(
        qf.Incident(id="INC-7", title="Glass in jam", severity="minor", reported_at=T0)
    )
    qms.incidents.fire(
        "INC-7",
        "assess",
        actor="Lena",
        at=T0,
        team=qf.EmergencyTeam(leader=qf.TeamMember(name="Lena", role="lead", department="QA")),
        assessment=qf.ImpactAssessment(severity="minor", batch_ids=["JAM-0412"]),
    )


def test_a_photo_kept_in_the_bucket_is_re_hashed_and_a_replaced_object_is_reported(
    s3: Any, tmp_path: Path
) -> None:
    # The plant keeps its records in SQLite and its evidence in the group's object store.
    # A photo of the chipped jar is attached to the containment; later somebody replaces
    # the object in the bucket, then deletes it: the audit with blobs=True reports both.
    photo = tmp_path / "chipped-jar.jpg"
    photo.write_bytes(b"\xff\xd8 photo of the chipped jar")
    url = f"sqlite:///{tmp_path / 'plant.db'}"
    with qf.QualityFlow(url, blobs="s3://qms-evidence/plant-1", load_entry_points=False) as qms:
        _plant(qms)
        ev = qms.evidence.put(photo, by="QA Lena")
        assert ev.uri.startswith("s3://qms-evidence/plant-1/") and ev.uri.endswith(ev.sha256)
        assert "testing" not in ev.uri  # no credentials in the stored URI
        hold = qf.ContainmentAction(
            batch_id="JAM-0412", action="hold", by="Lena", at=T0, attachments=[ev]
        )
        qms.incidents.fire("INC-7", "contain", actor="Lena", at=T0, containment=[hold])
        assert s3.cat_file(ev.uri) == photo.read_bytes()
        assert qms.evidence.read(ev) == photo.read_bytes()
        assert qms.audit.verify(blobs=True).ok
        again = qms.evidence.put(photo, by="QA Lena")  # the same bytes: the same object
        assert again.uri == ev.uri

        s3.pipe_file(ev.uri, b"another photo")
        report = qms.audit.verify(blobs=True)
        assert not report.ok and "altered" in str(report) and "INC-7" in str(report)
        s3.rm_file(ev.uri)
        report = qms.audit.verify(blobs=True)
        assert not report.ok and "missing" in str(report)
        assert qms.audit.verify().ok  # the records themselves are intact


def test_a_bad_store_url_or_an_unreachable_endpoint_is_a_clear_storage_error(
    s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(qf.StorageError, match="name a bucket"):
        FsspecBlobStore("s3://")
    with using("zh_CN"), pytest.raises(qf.StorageError, match="存储桶"):
        FsspecBlobStore("s3://")
    if importlib.util.find_spec("gcsfs") is None:
        with pytest.raises(qf.StorageError, match="needs its fsspec backend: pip install gcsfs"):
            FsspecBlobStore("gs://qms-evidence/plant-2")
    dead = {"endpoint_url": f"http://127.0.0.1:{_free_port()}", "key": "k", "secret": "s"}
    monkeypatch.setitem(
        fsspec.config.conf, "s3", {**dead, "config_kwargs": {"retries": {"max_attempts": 1}}}
    )
    qms = qf.QualityFlow(blobs="s3://qms-evidence/plant-2", load_entry_points=False)
    with pytest.raises(qf.StorageError, match=r"cannot write s3://qms-evidence/plant-2/.*endpoint"):
        qms.evidence.put(b"COA: aflatoxin < 2 ppb", media_type="text/plain")


def test_a_plugin_may_register_the_store_with_its_own_options(s3: Any, endpoint: str) -> None:
    # A plant whose plugin passes the endpoint itself (no fsspec configuration needed).
    class GroupStore:
        @qf.hookimpl
        def qualityflow_register_blobstore(self, register: Any) -> None:
            register(
                "s3",
                lambda url: FsspecBlobStore(
                    url, endpoint_url=endpoint, key="testing", secret="testing"
                ),
            )

    fsspec.config.conf.pop("s3", None)
    qms = qf.QualityFlow(
        blobs="s3://qms-evidence/plant-3", plugins=[GroupStore()], load_entry_points=False
    )
    ev = qms.evidence.put(b"no chips in 3 weeks", media_type="text/plain", by="QA")
    assert qms.evidence.verify([ev]) == [] and s3.exists(ev.uri)
