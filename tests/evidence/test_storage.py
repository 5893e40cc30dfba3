"""Both storage backends behave the same (S3 against moto's real server)."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest

from app.evidence.storage import (
    BlobNotFound,
    LocalStorage,
    S3Storage,
    Storage,
    StorageError,
    blob_key,
    check_key,
)
from tests.evidence.conftest import staged_files

DATA = os.urandom(3 * 1024 * 1024 + 17)  # more than one chunk, not a multiple of it
KEY = blob_key(hashlib.sha256(DATA).hexdigest())


def _staged(storage: Storage, data: bytes) -> Path:
    out, path = storage.new_staging_file()
    with out:
        out.write(data)
    return path


def test_it_stores_a_temp_file_and_reads_it_back(storage: Storage) -> None:
    storage.put_file(KEY, _staged(storage, DATA))
    assert storage.exists(KEY)
    assert storage.size(KEY) == len(DATA)
    assert b"".join(storage.iter_chunks(KEY)) == DATA
    stream = storage.open(KEY)
    try:
        assert stream.read(10) == DATA[:10]
    finally:
        stream.close()


def test_it_stores_from_a_stream(storage: Storage) -> None:
    storage.put_stream("sha256/aa/bb/stream", io.BytesIO(DATA))
    assert b"".join(storage.iter_chunks("sha256/aa/bb/stream", 65536)) == DATA


def test_it_leaves_no_temp_files_behind(storage: Storage) -> None:
    path = _staged(storage, DATA)
    storage.put_file(KEY, path)
    path.unlink(missing_ok=True)  # what callers do after storing
    storage.put_stream("sha256/cc/dd/x", io.BytesIO(b"abc"))
    assert staged_files(storage) == []


def test_storing_the_same_key_twice_keeps_one_copy(storage: Storage) -> None:
    storage.put_file(KEY, _staged(storage, DATA))
    storage.put_file(KEY, _staged(storage, DATA))
    assert storage.size(KEY) == len(DATA)


def test_it_reports_a_missing_blob(storage: Storage) -> None:
    missing = blob_key("0" * 64)
    assert not storage.exists(missing)
    with pytest.raises(BlobNotFound):
        storage.open(missing)
    with pytest.raises(BlobNotFound):
        storage.size(missing)


def test_it_deletes_and_tolerates_deleting_twice(storage: Storage) -> None:
    storage.put_file(KEY, _staged(storage, DATA))
    storage.delete(KEY)
    assert not storage.exists(KEY)
    storage.delete(KEY)


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", "a/../b", "", "a/.hidden/b"])
def test_it_refuses_keys_that_could_escape(storage: Storage, key: str) -> None:
    with pytest.raises(ValueError):
        storage.exists(key)


def test_blob_keys_are_content_addresses() -> None:
    digest = hashlib.sha256(b"x").hexdigest()
    assert blob_key(digest) == f"sha256/{digest[:2]}/{digest[2:4]}/{digest}"
    assert check_key(blob_key(digest))
    with pytest.raises(ValueError):
        blob_key("../" + digest[3:])


def test_local_storage_writes_atomically_under_its_root(local_storage: Storage) -> None:
    assert isinstance(local_storage, LocalStorage)
    local_storage.put_file(KEY, _staged(local_storage, DATA))
    target = local_storage.root / KEY
    assert target.read_bytes() == DATA
    assert local_storage.staging_dir.parent == local_storage.root  # same filesystem: rename


def test_local_storage_copies_a_file_from_elsewhere(local_storage: Storage, tmp_path: Path) -> None:
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"dari luar")
    local_storage.put_file("sha256/ee/ff/outside", outside)
    assert outside.exists()  # not moved away from a directory the store does not own
    assert b"".join(local_storage.iter_chunks("sha256/ee/ff/outside")) == b"dari luar"
    assert staged_files(local_storage) == []


def test_local_storage_reports_a_failed_write(local_storage: Storage, tmp_path: Path) -> None:
    with pytest.raises(StorageError):
        local_storage.put_file(KEY, tmp_path / "does-not-exist")


def test_s3_storage_reports_an_unreachable_bucket(s3_storage: Storage) -> None:
    assert isinstance(s3_storage, S3Storage)
    s3_storage.bucket = "bucket-yang-tidak-ada"
    with pytest.raises(StorageError):
        s3_storage.put_file(KEY, _staged(s3_storage, b"abc"))
    with pytest.raises(StorageError):
        s3_storage.put_stream(KEY, io.BytesIO(b"abc"))
    with pytest.raises(StorageError):
        s3_storage.open(KEY)
    with pytest.raises(StorageError):
        s3_storage.delete(KEY)


def test_s3_storage_needs_a_bucket(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="BUCKET"):
        S3Storage(bucket="", prefix="", staging=tmp_path)


def test_s3_storage_reports_an_unreachable_server(s3_storage: Storage) -> None:
    from botocore.config import Config

    assert isinstance(s3_storage, S3Storage)
    import boto3

    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    s3_storage.client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    with pytest.raises(StorageError):
        s3_storage.exists(KEY)
    with pytest.raises(StorageError):
        s3_storage.open(KEY)


def test_s3_stores_a_file_from_the_single_put_limit_up_through_the_transfer_manager(
    s3_storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Smaller files go in one PUT; from SINGLE_PUT_LIMIT up boto3's `upload_file` (which
    switches to a multipart upload for big ones) stores them."""
    import app.evidence.storage as module

    assert isinstance(s3_storage, S3Storage)
    calls: list[int] = []
    real = s3_storage.client.upload_file
    monkeypatch.setattr(
        s3_storage.client, "upload_file", lambda *a, **kw: calls.append(1) or real(*a, **kw)
    )
    s3_storage.put_file(KEY, _staged(s3_storage, DATA))
    assert calls == []  # 3 MB: one PUT
    monkeypatch.setattr(module, "SINGLE_PUT_LIMIT", 1024)
    other = DATA[::-1]
    key = blob_key(hashlib.sha256(other).hexdigest())
    s3_storage.put_file(key, _staged(s3_storage, other))
    assert calls == [1]
    for k, data in ((KEY, DATA), (key, other)):
        assert b"".join(s3_storage.iter_chunks(k)) == data
