"""Every host's keys/ are checked against the platform's, recorded in the database by the first.

A host started with the wrong REELMINT_DATA_DIR would otherwise make keys of its own and sign
users' videos with a foreign C2PA authority, and seal secrets with a key no other host has.
"""

from __future__ import annotations

import shutil

import pytest

from reelmint.config import Settings
from reelmint.db.database import Database
from reelmint.platform_keys import (
    KeyPrints,
    keys_on_disk,
    make_keys,
    record_keys,
    record_platform_keys_if_present,
    recorded_keys,
)
from support import at_once


@pytest.fixture
def nothing_starts(monkeypatch):
    """`up` and `worker` pass their checks, then record that they would have started."""
    from reelmint import server

    started: list[str] = []
    monkeypatch.setattr(server, "serve", lambda *args, **kwargs: started.append("up"))
    monkeypatch.setattr(server, "run_workers", lambda *args, **kwargs: started.append("worker"))
    return started


def _records(database_url: str) -> KeyPrints | None:
    database = Database(database_url)
    try:
        return recorded_keys(database)
    finally:
        database.dispose()


def test_a_fresh_database_and_data_folder_start_and_record_the_keys_made(
    cli, tmp_path, monkeypatch, nothing_starts
):
    data = tmp_path / "first-host"
    monkeypatch.setenv("REELMINT_DATA_DIR", str(data))
    assert cli("migrate").code == 0
    assert not (data / "keys").exists()  # migrate makes no keys
    started = cli("up")
    assert started.code == 0, started.err
    assert (data / "keys" / "platform.key").is_file()
    assert (data / "keys" / "c2pa" / "root-ca.pem").is_file()
    here = keys_on_disk(Settings(data_dir=data))
    assert here.complete
    assert _records(f"sqlite:///{data / 'reelmint.db'}") == here
    assert cli("worker").code == 0  # the same folder starts again
    assert nothing_starts == ["up", "worker"]


def test_a_second_data_folder_against_the_same_database_is_refused(
    cli, data_dir, database_url, tmp_path, monkeypatch, nothing_starts
):
    monkeypatch.setenv("REELMINT_DATABASE_URL", database_url)
    assert cli("migrate").code == 0
    assert cli("worker").code == 0  # the first host records its keys
    first = keys_on_disk(Settings(data_dir=data_dir))

    other = tmp_path / "second-host"
    monkeypatch.setenv("REELMINT_DATA_DIR", str(other))
    for command in ("up", "worker"):
        refused = cli(command)
        assert (refused.code, refused.out) == (2, ""), refused.err
        assert refused.err == (
            "error: this host's keys are not the platform's: keys/platform.key is missing; "
            f"keys/c2pa/root-ca is missing in {other / 'keys'} (REELMINT_DATA_DIR); copy "
            "keys/ from the first host's data folder, or point REELMINT_DATA_DIR at it "
            "(docs/operations.md, Keys)\n"
        )
    assert not (other / "keys").exists()  # nothing made

    foreign = make_keys(Settings(data_dir=other))  # keys of its own, made some other way
    refused = cli("worker")
    assert refused.code == 2
    assert (
        f"keys/platform.key is {foreign.platform_key_id}, the platform's is "
        f"{first.platform_key_id}; keys/c2pa/root-ca is {foreign.c2pa_ca_sha256[:12]}, "
        f"the platform's is {first.c2pa_ca_sha256[:12]} in"
    ) in refused.err

    shutil.rmtree(other / "keys")
    shutil.copytree(data_dir / "keys", other / "keys")  # what the message says to do
    assert cli("worker").code == 0
    assert nothing_starts == ["worker", "worker"]
    assert _records(database_url) == first


def test_migrate_records_the_keys_a_host_has_and_makes_none(tmp_path, database_url):
    from reelmint.db.migrate import upgrade

    database = Database(database_url)
    upgrade(database)
    bare = Settings(data_dir=tmp_path / "bare", database_url=database_url)
    assert record_platform_keys_if_present(bare, database) is None
    assert not (tmp_path / "bare" / "keys").exists()
    keyed = Settings(data_dir=tmp_path / "keyed", database_url=database_url)
    made = make_keys(keyed)
    assert record_platform_keys_if_present(keyed, database) == made
    assert record_platform_keys_if_present(bare, database) == made  # what holds stays
    database.dispose()


def test_two_hosts_recording_at_once_agree_on_the_first_record(tmp_path, database_url):
    from reelmint.db.migrate import upgrade

    database = Database(database_url)
    upgrade(database)
    prints = [make_keys(Settings(data_dir=tmp_path / f"host-{n}")) for n in range(2)]
    recorded = at_once([lambda p=p: record_keys(database, p) for p in prints], timeout=60)
    assert recorded[0] == recorded[1]
    assert recorded[0] in prints
    database.dispose()


def test_a_damaged_platform_key_stops_the_start_in_one_line(cli, data_dir, nothing_starts):
    assert cli("migrate").code == 0
    (data_dir / "keys" / "platform.key").write_text("not a key\n")
    refused = cli("worker")
    assert refused.code == 1
    assert refused.err.startswith(f"error: the platform key {data_dir / 'keys'}")
    assert "is damaged" in refused.err
    assert refused.err.count("\n") == 1
    assert nothing_starts == []


def test_migrate_records_the_keys_of_a_host_that_has_them(cli, data_dir):
    settings = Settings(data_dir=data_dir)
    assert cli("migrate").code == 0  # a folder with no keys: nothing is made, nothing recorded
    assert _records(settings.resolved_database_url) is None
    made = make_keys(settings)
    assert cli("migrate").code == 0
    assert _records(settings.resolved_database_url) == made == keys_on_disk(settings)
