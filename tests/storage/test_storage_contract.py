"""One contract, two stores: LocalStorage and S3Storage (against moto's real HTTP server)."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.stub import Stubber

from reelmint.bootstrap import build_storage
from reelmint.config import Settings
from reelmint.errors import BadRequest
from reelmint.storage.base import ObjectMissing, Storage, StorageError
from reelmint.storage.local import LocalStorage
from reelmint.storage.s3 import S3Storage
from support import moto_s3

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on a free local port, with fake credentials in the environment."""
    saved = {name: os.environ.get(name) for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    try:
        with moto_s3() as url:
            yield url
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _bucket(endpoint: str, name: str) -> None:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=name)


def _s3_settings(endpoint: str, bucket: str, tmp_path: Path, prefix: str = "") -> Settings:
    return Settings(
        data_dir=tmp_path,
        storage="s3",
        s3_bucket=bucket,
        s3_prefix=prefix,
        s3_endpoint_url=endpoint,
        s3_region="us-east-1",
    )


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "store")
    endpoint = request.getfixturevalue("s3_endpoint")
    bucket = f"contract-{os.urandom(4).hex()}"
    _bucket(endpoint, bucket)
    return build_storage(_s3_settings(endpoint, bucket, tmp_path, prefix="platform"))


def _file(tmp_path: Path, data: bytes, name: str = "source.bin") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_stored_file_comes_back_whole_and_by_ranges(store, tmp_path):
    data = bytes(range(256)) * 4096  # 1 MiB: several read chunks
    assert store.put_file(
        "videos/v1/run_1/video.mp4", _file(tmp_path, data), content_type="video/mp4"
    ) == len(data)

    assert store.size("videos/v1/run_1/video.mp4") == len(data)
    assert store.exists("videos/v1/run_1/video.mp4")
    assert b"".join(store.iter_bytes("videos/v1/run_1/video.mp4")) == data
    assert b"".join(store.iter_bytes("videos/v1/run_1/video.mp4", 10, 19)) == data[10:20]
    assert b"".join(store.iter_bytes("videos/v1/run_1/video.mp4", len(data) - 5)) == data[-5:]
    assert b"".join(store.iter_bytes("videos/v1/run_1/video.mp4", len(data) + 10)) == b""
    target = tmp_path / "back.bin"
    store.download("videos/v1/run_1/video.mp4", target)
    assert target.read_bytes() == data


def test_storing_again_replaces_the_object(store, tmp_path):
    store.put_file("inputs/v1/reference.png", _file(tmp_path, b"first"), content_type="image/png")
    store.put_file("inputs/v1/reference.png", _file(tmp_path, b"second!"), content_type="image/png")
    assert b"".join(store.iter_bytes("inputs/v1/reference.png")) == b"second!"


def test_a_missing_object_is_object_missing_everywhere(store, tmp_path):
    assert not store.exists("videos/none/video.mp4")
    with pytest.raises(ObjectMissing):
        store.size("videos/none/video.mp4")
    with pytest.raises(ObjectMissing):
        b"".join(store.iter_bytes("videos/none/video.mp4"))
    with pytest.raises(ObjectMissing):
        store.download("videos/none/video.mp4", tmp_path / "x")
    store.delete("videos/none/video.mp4")  # deleting nothing is fine


def test_deleted_objects_are_gone(store, tmp_path):
    store.put_file("videos/v2/a/poster.jpg", _file(tmp_path, b"jpeg"), content_type="image/jpeg")
    store.delete("videos/v2/a/poster.jpg")
    assert not store.exists("videos/v2/a/poster.jpg")


@pytest.mark.parametrize(
    "key", ["../escape", "/absolute", "Videos/upper", "videos/../../etc/passwd", "a//b", ""]
)
def test_keys_outside_the_rules_are_refused(store, tmp_path, key):
    with pytest.raises(StorageError):
        store.put_file(key, _file(tmp_path, b"x"), content_type="text/plain")
    with pytest.raises(StorageError):
        store.size(key)


def test_a_listing_gives_the_objects_under_a_folder_with_their_times(store, tmp_path):
    before = datetime.now(UTC) - timedelta(minutes=5)
    keys = ["videos/v1/run_1/video.mp4", "videos/v1/run_1/poster.jpg", "videos/v2/r/video.mp4"]
    for key in [*keys, "inputs/v1/reference.png", "videos-old/v9/x.mp4"]:
        store.put_file(key, _file(tmp_path, b"data"), content_type="application/octet-stream")

    listed = list(store.list_objects("videos/"))
    assert sorted(item.key for item in listed) == sorted(keys)
    assert all(
        before < item.modified <= datetime.now(UTC) + timedelta(minutes=5) for item in listed
    )
    assert [item.key for item in store.list_objects("inputs")] == ["inputs/v1/reference.png"]
    assert list(store.list_objects("cameos/")) == []
    with pytest.raises(StorageError):
        list(store.list_objects("../"))


def test_a_local_listing_passes_over_writes_in_progress(tmp_path):
    store = LocalStorage(tmp_path / "store")
    store.put_file("videos/v1/r/video.mp4", _file(tmp_path, b"mp4"), content_type="video/mp4")
    (tmp_path / "store" / "videos" / "v1" / "r" / ".upload-k2j3").write_bytes(b"half")
    assert [item.key for item in store.list_objects("videos/")] == ["videos/v1/r/video.mp4"]


def test_s3_keys_live_under_the_prefix(s3_endpoint, tmp_path):
    _bucket(s3_endpoint, "prefixed")
    store = S3Storage.from_settings(_s3_settings(s3_endpoint, "prefixed", tmp_path, "/tenant/a/"))
    store.put_file("videos/v/video.mp4", _file(tmp_path, b"mp4"), content_type="video/mp4")

    listed = store.client.list_objects_v2(Bucket="prefixed")["Contents"]
    assert [item["Key"] for item in listed] == ["tenant/a/videos/v/video.mp4"]
    head = store.client.head_object(Bucket="prefixed", Key="tenant/a/videos/v/video.mp4")
    assert head["ContentType"] == "video/mp4"


def test_large_s3_uploads_go_up_in_parts(s3_endpoint, tmp_path):
    _bucket(s3_endpoint, "parts")
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    store = S3Storage(client=client, bucket="parts", transfer_config=config)
    data = os.urandom(11 * MIB)

    assert store.put_file(
        "videos/big/video.mp4", _file(tmp_path, data), content_type="video/mp4"
    ) == len(data)

    head = client.head_object(Bucket="parts", Key="videos/big/video.mp4")
    assert head["ETag"].strip('"').endswith("-3")  # a multipart ETag: three parts
    assert (
        b"".join(store.iter_bytes("videos/big/video.mp4", 6 * MIB, 6 * MIB + 99))
        == (data[6 * MIB : 6 * MIB + 100])
    )


def test_s3_needs_a_bucket(tmp_path):
    with pytest.raises(BadRequest) as refused:
        build_storage(Settings(data_dir=tmp_path, storage="s3"))
    assert refused.value.code == "invalid_config"
    assert "REELMINT_S3_BUCKET" in refused.value.message


def test_an_unreachable_or_missing_bucket_is_a_storage_error(s3_endpoint, tmp_path):
    missing = S3Storage.from_settings(_s3_settings(s3_endpoint, "no-such-bucket", tmp_path))
    with pytest.raises(StorageError):
        missing.put_file("videos/v/video.mp4", _file(tmp_path, b"x"), content_type="video/mp4")
    client = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:9",  # the discard port: nothing listens
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2),
    )
    nowhere = S3Storage(client=client, bucket="b")
    with pytest.raises(StorageError):
        nowhere.size("videos/v/video.mp4")


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """An S3 endpoint that takes connections and never answers: a listening socket nobody
    accepts from (the system completes the connections; the requests wait for ever)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_s3_that_does_not_answer_is_a_storage_error_not_a_hang(
    silent_endpoint, tmp_path, monkeypatch
):
    """The client's connect and read timeouts and its tries come from the settings, so a
    request to storage that does not answer ends as a StorageError (botocore's defaults, 60 s
    a read and 6 tries, kept a content request waiting over 5 minutes)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = Settings(
        data_dir=tmp_path,
        storage="s3",
        s3_bucket="videos",
        s3_endpoint_url=silent_endpoint,
        s3_region="us-east-1",
        s3_connect_timeout_seconds=0.5,
        s3_read_timeout_seconds=0.5,
        s3_max_attempts=2,
    )
    store = build_storage(settings)
    config = store.client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.5, 0.5)
    assert config.retries["total_max_attempts"] == 2  # the first try included
    outcome: list[BaseException] = []

    def ask() -> None:
        try:
            store.size("videos/v/video.mp4")
        except BaseException as error:
            outcome.append(error)

    asking = threading.Thread(target=ask, daemon=True)
    asking.start()
    asking.join(timeout=60)  # generous: unbounded, it waited 6 x 60 s
    assert not asking.is_alive(), "the request to storage that does not answer never ended"
    [error] = outcome
    assert isinstance(error, StorageError)
    assert not isinstance(error, ObjectMissing)


def test_the_s3_timeouts_default_to_seconds(tmp_path):
    settings = Settings(data_dir=tmp_path)
    seconds = settings.s3_max_attempts * (
        settings.s3_connect_timeout_seconds + settings.s3_read_timeout_seconds
    )
    assert seconds <= 30


def test_s3_check_names_a_missing_bucket(s3_endpoint, tmp_path):
    store = S3Storage.from_settings(_s3_settings(s3_endpoint, "absent-bucket", tmp_path))
    with pytest.raises(StorageError) as refused:
        store.check()
    assert str(refused.value) == (
        f"S3 bucket 'absent-bucket' does not exist at {s3_endpoint}; create it, or set "
        "REELMINT_S3_BUCKET to one that does"
    )


def test_s3_check_accepts_a_usable_bucket_and_leaves_nothing_in_it(s3_endpoint, tmp_path):
    _bucket(s3_endpoint, "usable")
    store = S3Storage.from_settings(_s3_settings(s3_endpoint, "usable", tmp_path, "tenant"))
    store.check()
    assert "Contents" not in store.client.list_objects_v2(Bucket="usable")


def test_s3_check_names_an_endpoint_that_cannot_be_reached(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there now: connections are refused
    settings = _s3_settings(endpoint, "videos", tmp_path).model_copy(update={"s3_max_attempts": 1})
    with pytest.raises(StorageError) as refused:
        S3Storage.from_settings(settings).check()
    message = str(refused.value)
    assert message.startswith(f"the S3 endpoint at {endpoint} cannot be reached (")
    assert message.endswith("check REELMINT_S3_ENDPOINT_URL and that the service is up")
    assert "\n" not in message


def _stubbed(prefix: str = "") -> tuple[S3Storage, Stubber]:
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return S3Storage(client=client, bucket="b", prefix=prefix), Stubber(client)


def test_s3_check_refuses_credentials_that_may_not_write(tmp_path):
    """HeadBucket's bare 403 could be a policy for one prefix only; writing a probe object
    there decides, and S3 refusing that too is access denied."""
    store, stubber = _stubbed("tenant")
    stubber.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
    stubber.add_client_error(
        "put_object",
        service_error_code="AccessDenied",
        http_status_code=403,
        expected_params={"Bucket": "b", "Key": "tenant/reelmint-start-check", "Body": b""},
    )
    with stubber, pytest.raises(StorageError) as refused:
        store.check()
    assert str(refused.value).startswith("access denied to S3 bucket 'b'")
    assert "under 'tenant/'" in str(refused.value)


def test_s3_check_accepts_credentials_limited_to_the_prefix(tmp_path):
    store, stubber = _stubbed("tenant")
    stubber.add_client_error("head_bucket", service_error_code="403", http_status_code=403)
    stubber.add_response("put_object", {})
    stubber.add_response("delete_object", {})
    with stubber:
        store.check()
        stubber.assert_no_pending_responses()


def test_local_storage_has_nothing_to_check(tmp_path):
    LocalStorage(tmp_path / "not-made-yet").check()


def test_a_worker_stores_its_video_in_s3(services, s3_endpoint, tmp_path, probe):
    from reelmint.bootstrap import Services
    from reelmint.domains.accounts.service import create_user
    from reelmint.domains.videos.models import Video
    from reelmint.domains.videos.service import VideoRequest, create_video
    from reelmint.worker import Worker

    _bucket(s3_endpoint, "videos")
    settings = _s3_settings(s3_endpoint, "videos", services.settings.data_dir, prefix="reelmint")
    on_s3 = Services(settings=settings, db=services.db, storage=build_storage(settings))
    with on_s3.db.write() as db:
        user = create_user(db=db, email="s3@example.com", password="a long password")
    request = VideoRequest(prompt="a boat sails at sunset", seconds=4, size="480x480", seed=3)
    job = create_video(services=on_s3, user=user, request=request).id

    assert Worker(on_s3).run_once() is True

    with on_s3.db.read() as db:
        video = db.get(Video, job)
    assert video.status == "completed"
    listed = on_s3.storage.client.list_objects_v2(Bucket="videos", Prefix=f"reelmint/videos/{job}/")
    assert sorted(item["Key"] for item in listed["Contents"]) == [
        f"reelmint/{video.poster_key}",
        f"reelmint/{video.video_key}",
    ]
    local = tmp_path / "from-s3.mp4"
    on_s3.storage.download(video.video_key, local)
    assert probe(local).frames == video.frames


def test_local_deletes_leave_no_empty_folders_but_keep_others_files(tmp_path):
    from reelmint.storage.local import LocalStorage

    store = LocalStorage(tmp_path / "storage")
    for key in ("videos/v1/run_a/video.mp4", "videos/v1/run_a/poster.jpg", "videos/v2/x.mp4"):
        store.put_file(key, _file(tmp_path, b"data"), content_type="video/mp4")
    store.delete("videos/v1/run_a/video.mp4")
    assert (tmp_path / "storage" / "videos" / "v1" / "run_a").is_dir()  # the poster is there
    store.delete("videos/v1/run_a/poster.jpg")
    assert not (tmp_path / "storage" / "videos" / "v1").exists()
    assert store.exists("videos/v2/x.mp4")
    store.delete("videos/v2/x.mp4")
    assert [p.name for p in (tmp_path / "storage").iterdir()] == []  # the root stays
    store.put_file("videos/v1/again.mp4", _file(tmp_path, b"data"), content_type="video/mp4")
    assert store.exists("videos/v1/again.mp4")
