"""A restart cannot cut a plan's daily quota: `up` and `worker` record the configured quotas,
and a smaller one is refused while it still governs (a scheduled change gives notice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.quota.models import QuotaChange
from reelmint.errors import BadRequest
from reelmint.plan_quotas import PlanQuota, require_plan_quotas
from support import at_once


def configured(services_on, **quotas: int) -> Settings:
    """The services' settings with these plans' daily quotas."""
    plans = {**services_on.settings.plan_daily_quota, **quotas}
    return services_on.settings.model_copy(update={"plan_daily_quota": plans})


def recorded(services_on) -> dict[str, int]:
    with services_on.db.read() as db:
        return {row.plan: row.daily_units for row in db.scalars(select(PlanQuota))}


def test_a_start_records_the_quotas_and_a_cut_is_refused_until_scheduled(services_on):
    require_plan_quotas(configured(services_on), services_on.db, record=True)
    assert recorded(services_on)["free"] == 30

    cut = configured(services_on, free=10, pro=100)
    for record in (False, True):  # every command refuses it; nothing is recorded
        with pytest.raises(BadRequest) as refused:
            require_plan_quotas(cut, services_on.db, record=record)
        assert refused.value.code == "quota_cut_without_notice"
        assert "free from 30 to 10, pro from 150 to 100 units a day" in refused.value.message
        assert "reelmint admin quota schedule free 10 --effective DATE" in refused.value.message
    assert recorded(services_on)["free"] == 30


def test_a_raise_is_recorded_and_cannot_be_taken_back_by_a_restart(services_on):
    require_plan_quotas(configured(services_on), services_on.db, record=True)
    require_plan_quotas(configured(services_on, free=40), services_on.db, record=True)
    assert recorded(services_on)["free"] == 40
    with pytest.raises(BadRequest):
        require_plan_quotas(configured(services_on), services_on.db, record=True)  # 30 again


def test_once_a_scheduled_change_governs_the_setting_no_longer_matters(services_on):
    require_plan_quotas(configured(services_on), services_on.db, record=True)
    with services_on.db.write() as db:
        db.add(
            QuotaChange(
                plan="free",
                daily_units=20,
                effective_on=(utcnow() - timedelta(days=2)).date(),
                announced_at=utcnow() - timedelta(days=20),
            )
        )
    require_plan_quotas(configured(services_on, free=20), services_on.db, record=True)
    assert recorded(services_on)["free"] == 20


def test_a_change_not_yet_in_effect_everywhere_leaves_the_setting_governing(services_on):
    require_plan_quotas(configured(services_on), services_on.db, record=True)
    with services_on.db.write() as db:  # today or tomorrow in the east, not yet in UTC-12
        tomorrow = (utcnow() + timedelta(days=1)).date()
        db.add(QuotaChange(plan="free", daily_units=20, effective_on=tomorrow))
    with pytest.raises(BadRequest):
        require_plan_quotas(configured(services_on, free=20), services_on.db, record=False)


def test_hosts_starting_at_once_record_once(services_on):
    settings = configured(services_on)
    done = at_once([lambda: require_plan_quotas(settings, services_on.db, record=True)] * 4)
    assert done == [None] * 4
    assert recorded(services_on) == settings.plan_daily_quota


def test_a_command_with_a_cutting_setting_is_one_line_and_exit_2(cli, data_dir, monkeypatch):
    assert cli("migrate").code == 0
    require_plan_quotas(Settings(data_dir=data_dir), _database(data_dir), record=True)
    monkeypatch.setenv("REELMINT_PLAN_DAILY_QUOTA", '{"free": 10}')
    refused = cli("admin", "quota", "list", "free")
    assert refused.code == 2
    assert len(refused.err.strip().splitlines()) == 1
    assert "cuts the daily quota of free from 30 to 10" in refused.err


def _database(data_dir):
    from reelmint.db.database import Database

    return Database(Settings(data_dir=data_dir).resolved_database_url)


def test_only_up_records_and_a_worker_ignores_the_setting(cli, data_dir, monkeypatch):
    """A GPU worker host needs no REELMINT_PLAN_DAILY_QUOTA: started with the default while
    `up` gives 50, it is not refused, and nothing it or an admin command has is recorded."""
    from reelmint.platform_cli import open_services

    assert cli("migrate").code == 0
    monkeypatch.setenv("REELMINT_PLAN_DAILY_QUOTA", '{"free": 50}')
    open_services(plan_quotas="record").close()  # as `up` does
    monkeypatch.delenv("REELMINT_PLAN_DAILY_QUOTA")  # the default: 30
    open_services(plan_quotas="skip").close()  # as `worker` does
    with pytest.raises(BadRequest):
        open_services().close()  # an admin command with the default would cut
    monkeypatch.setenv("REELMINT_PLAN_DAILY_QUOTA", '{"free": 60}')
    open_services().close()  # an admin command's raise is not recorded
    services = open_services(plan_quotas="skip")
    try:
        with services.db.read() as db:
            assert db.get_one(PlanQuota, "free").daily_units == 50
    finally:
        services.close()
