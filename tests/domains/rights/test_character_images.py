"""Reference images of characters: added by the rights holder's members (checked, re-encoded,
stored under keys made from ids), refused whole when any image is wrong (nothing stored or
recorded), read by anyone, deleted with their file. The service runs on SQLite and
PostgreSQL; the HTTP API on SQLite."""

from __future__ import annotations

import io
import socket
import struct
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from reelmint.api.app import create_app
from reelmint.domains.accounts.service import create_organisation
from reelmint.domains.rights import images as character_images
from reelmint.domains.rights import service as rights
from reelmint.domains.rights.models import CharacterImage
from reelmint.domains.uploads import ImageUpload
from reelmint.errors import BadRequest, Forbidden, NotFound, ServiceError, Unavailable
from support import make_account, make_services

# --- images -------------------------------------------------------------------------------------


def png(path: Path, size: tuple[int, int] = (160, 120), colour=(200, 60, 40)) -> Path:
    Image.new("RGB", size, colour).save(path, format="PNG")
    return path


def jpeg_with_gps(path: Path) -> Path:
    """A JPEG carrying EXIF metadata (a GPS block and a camera model)."""
    image = Image.new("RGB", (200, 150), (20, 120, 200))
    exif = Image.Exif()
    exif[0x0110] = "Secret Camera"  # Model
    exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPSInfo
    image.save(path, format="JPEG", exif=exif.tobytes())
    return path


def bomb_png(path: Path, side: int = 8000) -> Path:
    """A tiny PNG whose header declares side x side pixels (decoding it would take ~200 MB)."""
    small = io.BytesIO()
    Image.new("RGB", (16, 16)).save(small, format="PNG")
    data = bytearray(small.getvalue())
    ihdr = struct.pack(">II", side, side) + bytes(data[24:29])
    data[16:29] = ihdr
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + ihdr) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def written(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def upload(path: Path, name: str | None = None) -> ImageUpload:
    return ImageUpload(path=path, name=name or path.name)


# --- a rights holder with a character -----------------------------------------------------------


@pytest.fixture
def member(services_on):
    return make_account(services_on, "studio@example.com").user


@pytest.fixture
def character(services_on, member):
    with services_on.db.write() as db:
        org = create_organisation(
            db=db, owner=member, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        return rights.register_character(
            db=db,
            actor=member,
            organisation_id=org.id,
            request=rights.CharacterRequest(handle="brightwave", name="Captain Brightwave"),
        )


def add(services, user, character, files):
    return character_images.add_images(
        services=services, actor=user, character_id=character.id, images=files
    )


def stored_files(services) -> list[Path]:
    root = services.settings.storage_dir / "characters"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def rows(services) -> int:
    with services.db.read() as db:
        return db.scalar(select(func.count()).select_from(CharacterImage)) or 0


def refused(services, user, character, files) -> ServiceError:
    """Adding `files` is refused, and no file or row is left behind."""
    before_files, before_rows = stored_files(services), rows(services)
    with pytest.raises(ServiceError) as caught:
        add(services, user, character, files)
    assert stored_files(services) == before_files
    assert rows(services) == before_rows
    return caught.value


# --- the service (SQLite and PostgreSQL) --------------------------------------------------------


def test_a_member_adds_images_checked_and_re_encoded(services_on, member, character, tmp_path):
    added = add(
        services_on,
        member,
        character,
        [
            upload(png(tmp_path / "a.png"), "../../etc/front.png"),
            upload(jpeg_with_gps(tmp_path / "b.jpg")),
        ],
    )
    assert [(i.position, i.width, i.height, i.content_type) for i in added] == [
        (0, 160, 120, "image/jpeg"),
        (1, 200, 150, "image/jpeg"),
    ]
    for image in added:
        # The key is made from ids only: never the client's file name.
        assert image.storage_key == f"characters/{character.id}/{image.id}.jpg"
        assert services_on.storage.size(image.storage_key) == image.bytes
    stored = services_on.settings.storage_dir / added[1].storage_key
    with Image.open(stored) as reread:
        assert reread.format == "JPEG"
        assert not reread.getexif()  # the camera model and GPS position are gone
    with services_on.db.read() as db:
        listed = character_images.list_images(db=db, character_id=character.id)
    assert [i.id for i in listed] == [i.id for i in added]


def test_someone_outside_the_rights_holder_is_refused(services_on, character, tmp_path):
    outsider = make_account(services_on, "fan@example.com").user
    error = refused(services_on, outsider, character, [upload(png(tmp_path / "a.png"))])
    assert isinstance(error, Forbidden)
    assert (error.status, error.code) == (403, "not_rights_holder")
    assert "Wave Studios" in error.message
    admin = make_account(services_on, "admin@example.com", role="admin").user
    assert len(add(services_on, admin, character, [upload(png(tmp_path / "b.png"))])) == 1


def test_a_decompression_bomb_is_refused_from_its_header(services_on, member, character, tmp_path):
    bomb = bomb_png(tmp_path / "bomb.png")
    assert bomb.stat().st_size < 200
    good = upload(png(tmp_path / "good.png"))
    error = refused(services_on, member, character, [good, upload(bomb, "hero.png")])
    assert (error.code, error.param) == ("invalid_character_image", "images")
    assert "character image 'hero.png' is 8000x8000" in error.message
    assert str(tmp_path) not in error.message


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: written(p, b"just some text"), "is not a JPEG, PNG or WebP image"),
        (lambda p: written(p, b"<svg xmlns='http://www.w3.org/2000/svg'/>"), "not a JPEG"),
        (lambda p: png(p, size=(200, 40)), "is 200x40; a character image must be at least 64"),
        (lambda p: written(p, png(p).read_bytes()[:120]), "damaged"),
    ],
    ids=["text", "svg", "too-small", "truncated"],
)
def test_wrong_images_are_refused_writing_nothing(
    services_on, member, character, tmp_path, make, words
):
    error = refused(services_on, member, character, [upload(make(tmp_path / "upload-0"), "x.png")])
    assert error.code == "invalid_character_image"
    assert words in error.message


def test_too_large_too_many_or_none_are_refused(services_on, member, character, tmp_path):
    big = png(tmp_path / "big.png")
    with big.open("ab") as out:
        out.write(b"\0" * services_on.settings.character_max_image_bytes)
    error = refused(services_on, member, character, [upload(big)])
    assert "MiB; the limit is 10.0 MiB an image" in error.message
    most = services_on.settings.character_max_images
    many = [upload(png(tmp_path / f"{n}.png")) for n in range(most + 1)]
    error = refused(services_on, member, character, many)
    assert error.code == "too_many_images"
    assert f"at most {most} reference images; you sent {most + 1}" in error.message
    assert refused(services_on, member, character, []).code == "character_images_required"


def test_the_limit_counts_the_images_already_there(services_on, member, character, tmp_path):
    """The count is checked in the transaction, after the files were stored: the refusal
    removes them again, and the images already there stay."""
    most = services_on.settings.character_max_images
    first = [upload(png(tmp_path / f"a{n}.png")) for n in range(most - 1)]
    add(services_on, member, character, first)
    two = [upload(png(tmp_path / f"b{n}.png")) for n in range(2)]
    error = refused(services_on, member, character, two)
    assert isinstance(error, BadRequest)
    assert error.code == "too_many_images"
    assert f"it has {most - 1} and you sent 2" in error.message
    assert len(stored_files(services_on)) == most - 1


def test_deleting_removes_the_row_and_the_file(services_on, member, character, tmp_path):
    added = add(
        services_on, member, character, [upload(png(tmp_path / f"{n}.png")) for n in range(3)]
    )
    outsider = make_account(services_on, "fan@example.com").user
    with pytest.raises(Forbidden):
        character_images.delete_image(
            services=services_on, actor=outsider, character_id=character.id, position=1
        )
    gone = character_images.delete_image(
        services=services_on, actor=member, character_id=character.id, position=1
    )
    assert gone.id == added[1].id
    assert not services_on.storage.exists(added[1].storage_key)
    assert services_on.storage.exists(added[0].storage_key)
    with services_on.db.read() as db:
        assert [
            i.position for i in character_images.list_images(db=db, character_id=character.id)
        ] == [0, 2]
        with pytest.raises(NotFound) as caught:
            character_images.get_image(db=db, character_id=character.id, position=1)
    assert caught.value.code == "image_not_found"
    with pytest.raises(NotFound):
        character_images.delete_image(
            services=services_on, actor=member, character_id=character.id, position=1
        )
    # New images go after the last one: positions (and so URLs) are never shuffled.
    more = add(services_on, member, character, [upload(png(tmp_path / "new.png"))])
    assert [i.position for i in more] == [3]


def test_a_failed_transaction_leaves_no_file(services_on, member, character, tmp_path, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(character_images, "insert_images", broken)
    with pytest.raises(RuntimeError):
        add(services_on, member, character, [upload(png(tmp_path / "a.png"))])
    assert stored_files(services_on) == []
    assert rows(services_on) == 0


def test_storage_that_cannot_be_reached_is_a_503_leaving_nothing(
    services_on, member, character, tmp_path, monkeypatch
):
    """A real S3 store whose endpoint refuses connections: 503 `storage_unavailable`, not an
    unexpected error, and no row."""
    from reelmint.bootstrap import build_storage
    from reelmint.config import Settings

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    endpoint = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()  # nothing listens there now
    settings = Settings(
        data_dir=tmp_path,
        storage="s3",
        s3_bucket="characters",
        s3_endpoint_url=endpoint,
        s3_region="us-east-1",
        s3_max_attempts=1,
    )
    monkeypatch.setattr(services_on, "storage", build_storage(settings))
    with pytest.raises(Unavailable) as caught:
        add(services_on, member, character, [upload(png(tmp_path / "a.png"))])
    assert (caught.value.status, caught.value.code) == (503, "storage_unavailable")
    assert "the images cannot be added now" in caught.value.message
    assert rows(services_on) == 0


# --- the HTTP API (SQLite) ----------------------------------------------------------------------


def png_bytes(size: tuple[int, int] = (160, 120)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (90, 200, 90)).save(out, format="PNG")
    return out.getvalue()


def files(*contents: bytes, field: str = "images") -> list:
    return [(field, (f"{n}.png", io.BytesIO(c), "image/png")) for n, c in enumerate(contents)]


@pytest.fixture
def holder(services):
    """A rights holder's member (an account with a token) and its character."""
    account = make_account(services, "studio@example.com")
    with services.db.write() as db:
        org = create_organisation(
            db=db, owner=account.user, name="Wave Studios", slug="wave", kind="rights_holder"
        )
        made = rights.register_character(
            db=db,
            actor=account.user,
            organisation_id=org.id,
            request=rights.CharacterRequest(handle="brightwave", name="Captain Brightwave"),
        )
    return account, made.id


def error_of(response) -> dict:
    return response.json()["error"]


def test_upload_then_anyone_reads_the_list_and_the_jpeg(client, holder):
    account, character_id = holder
    url = f"/v1/characters/{character_id}/images"
    made = client.post(url, headers=account.headers, files=files(png_bytes(), png_bytes()))
    assert made.status_code == 201, made.text
    body = made.json()
    assert [(i["position"], i["width"], i["url"]) for i in body["data"]] == [
        (0, 160, f"{url}/0"),
        (1, 160, f"{url}/1"),
    ]
    listed = client.get(url)  # no credentials: the catalogue is public
    assert listed.status_code == 200
    assert [i["position"] for i in listed.json()["data"]] == [0, 1]
    image = client.get(f"{url}/0")
    assert (image.status_code, image.headers["content-type"]) == (200, "image/jpeg")
    assert image.content[:3] == b"\xff\xd8\xff"
    assert image.headers["cache-control"].startswith("public")
    shown = client.get(f"/v1/characters/{character_id}").json()
    assert [i["url"] for i in shown["images"]] == [f"{url}/0", f"{url}/1"]
    catalogue = client.get("/v1/characters").json()["data"]
    assert [len(c["images"]) for c in catalogue] == [2]
    assert client.get(f"{url}/7").status_code == 404
    assert client.get("/v1/characters/chr_nope/images").status_code == 404


def test_only_members_add_or_delete(client, services, holder):
    account, character_id = holder
    url = f"/v1/characters/{character_id}/images"
    assert client.post(url, files=files(png_bytes())).status_code == 401
    fan = make_account(services, "fan@example.com")
    refused_add = client.post(url, headers=fan.headers, files=files(png_bytes()))
    assert (refused_add.status_code, error_of(refused_add)["code"]) == (403, "not_rights_holder")
    assert client.post(url, headers=account.headers, files=files(png_bytes())).status_code == 201
    refused_delete = client.delete(f"{url}/0", headers=fan.headers)
    assert refused_delete.status_code == 403
    assert client.get(f"{url}/0").status_code == 200


@pytest.mark.parametrize(
    ("sent", "code"),
    [
        (lambda tmp: files(b"GIF89a" + b"\0" * 40), "invalid_character_image"),
        (lambda tmp: files(png_bytes((40, 40))), "invalid_character_image"),
        (lambda tmp: files(bomb_png(tmp / "b.png").read_bytes()), "invalid_character_image"),
        (lambda tmp: files(*[png_bytes()] * 9), "too_many_images"),
        (lambda tmp: files(png_bytes(), field="photo"), "unknown_parameter"),
        (lambda tmp: [("images", (None, "not a file"))], "unknown_parameter"),
    ],
    ids=["gif", "too-small", "bomb", "too-many", "file-field", "text-field"],
)
def test_refusals_over_http_store_nothing(client, services, holder, tmp_path, sent, code):
    account, character_id = holder
    url = f"/v1/characters/{character_id}/images"
    response = client.post(url, headers=account.headers, files=sent(tmp_path))
    assert (response.status_code, error_of(response)["code"]) == (400, code), response.text
    assert client.get(url).json()["data"] == []
    assert stored_files(services) == []


def test_a_json_body_is_refused_with_a_hint(client, holder):
    account, character_id = holder
    response = client.post(
        f"/v1/characters/{character_id}/images", headers=account.headers, json={"images": []}
    )
    assert response.status_code == 415
    assert "multipart/form-data" in error_of(response)["message"]


def test_uploads_are_capped_per_image_and_per_body(tmp_path, keys_dir):
    small = make_services(
        tmp_path,
        f"sqlite:///{tmp_path / 'small.db'}",
        character_max_image_bytes=100_000,
        character_max_images=2,
    )
    account = make_account(small, "studio@example.com")
    with small.db.write() as db:
        org = create_organisation(
            db=db, owner=account.user, name="Wave", slug="wave", kind="rights_holder"
        )
        made = rights.register_character(
            db=db,
            actor=account.user,
            organisation_id=org.id,
            request=rights.CharacterRequest(handle="brightwave", name="Brightwave"),
        )
    noise = bytes(range(256)) * 600  # 153,600 bytes
    url = f"/v1/characters/{made.id}/images"
    with TestClient(create_app(small)) as client:
        one = client.post(url, headers=account.headers, files=files(noise))
        assert (one.status_code, error_of(one)["code"]) == (400, "invalid_character_image")
        assert "'0.png' is 150 KiB; the limit is 98 KiB an image" in error_of(one)["message"]
        two = client.post(url, headers=account.headers, files=files(noise, noise))
        assert (two.status_code, error_of(two)["code"]) == (413, "too_large")
        assert client.get(url).json()["data"] == []
    assert stored_files(small) == []
    small.close()


def test_delete_over_http_removes_the_file(client, services, holder):
    account, character_id = holder
    url = f"/v1/characters/{character_id}/images"
    client.post(url, headers=account.headers, files=files(png_bytes()))
    assert len(stored_files(services)) == 1
    deleted = client.delete(f"{url}/0", headers=account.headers)
    assert deleted.status_code == 200
    assert deleted.json() == {
        "object": "character.image",
        "character_id": character_id,
        "position": 0,
        "deleted": True,
    }
    assert stored_files(services) == []
    assert client.get(f"{url}/0").status_code == 404
    assert client.delete(f"{url}/0", headers=account.headers).status_code == 404
