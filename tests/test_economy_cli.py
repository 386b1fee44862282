"""The economy's operator commands: ledger check, admin grant / set-plan, admin quota."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.db.base import utcnow
from reelmint.domains.accounts.service import find_user
from reelmint.domains.ledger.models import LedgerAccount
from reelmint.domains.quota.models import QuotaChange
from reelmint.domains.quota.service import latest_day
from reelmint.domains.wallet import service as wallet


@pytest.fixture
def ops(cli, data_dir):
    assert cli("migrate").code == 0
    made = cli("admin", "create-user", "ada@example.com", "--password", "a long password")
    assert made.code == 0, made.err
    services = build_services(Settings(data_dir=data_dir))
    yield services
    services.close()


def _summary(services, email="ada@example.com"):
    with services.db.read() as db:
        user = find_user(db=db, email=email)
        return wallet.summary(db=db, settings=services.settings, user=user)


def test_grant_credits_once_per_key_and_check_the_ledger(cli, ops):
    first = cli("admin", "grant", "ada@example.com", "5", "--reason", "welcome", "--key", "w1")
    assert first.code == 0, first.err
    again = cli("admin", "grant", "ada@example.com", "5", "--reason", "welcome", "--key", "w1")
    assert again.out == first.out
    assert _summary(ops).granted == 5
    other = cli("admin", "grant", "ada@example.com", "5", "--reason", "sorry", "--key", "w1")
    assert other.code != 0
    assert "already granted these units for 'welcome'" in other.err
    assert _summary(ops).granted == 5
    checked = cli("ledger", "check")
    assert (checked.code, checked.out.strip()) == (
        0,
        "ledger check: every balance equals the sum of its postings",
    )
    with ops.db.write() as db:  # one balance made wrong behind the ledger's back
        account = db.scalars(select(LedgerAccount).where(LedgerAccount.kind == "granted")).one()
        account.balance += 1
    broken = cli("ledger", "check")
    assert broken.code == 1
    assert broken.err.splitlines()[-1] == "ledger check: 1 difference"


SCHEDULE_PLUS = ("admin", "quota", "schedule", "plus", "200", "--effective", "2099-01-01")


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (("admin", "grant", "ada@example.com", "0", "--reason", "x"), "grant 1 to"),
        (("admin", "grant", "ada@example.com", "-5", "--reason", "x"), "grant 1 to"),
        (("admin", "grant", "ada@example.com", "3", "--reason", " "), "--reason"),
        (("admin", "grant", "nobody@example.com", "3", "--reason", "x"), "no account"),
        (("admin", "set-plan", "ada@example.com", "gold"), "unknown plan"),
        (("admin", "quota", "schedule", "free", "10", "--effective", "tomorrow"), "date like"),
        (("admin", "quota", "cancel", "qchg_missing"), "no scheduled quota change"),
        (
            ("admin", "quota", "schedule", "free", "99999999999", "--effective", "2099-01-01"),
            "a daily quota is 0 to 1,000,000 units",
        ),
        (
            ("admin", "quota", "schedule", "free", "5", "4", "--effective", "9999-12-20"),
            "run past the last date there is",
        ),
        (
            ("admin", "quota", "schedule", "free", "600", "--effective", "0001-01-01"),
            "is not in the future everywhere",
        ),
        (
            ("admin", "quota", "schedule", "free", "-5", "--effective", "2099-01-01"),
            "a daily quota is 0 to 1,000,000 units; -5 is not",
        ),
        (
            ("admin", "quota", "schedule", "free", "20", "--effective", "9999-12-31"),
            "9999-12-31 is more than 5 years ahead; choose",
        ),
        (("admin", "grant", "ada@example.com", "9" * 25, "--reason", "x"), "grant 1 to"),
        (("admin", "grant", "ada@example.com", "3", "--reason", "x" * 2001), "under 2,000"),
        (("admin", "grant", "ada@example.com", "3", "--reason", "sorry\nagain"), "U+000A"),
        (("admin", "grant", "ada@example.com", "3", "--reason", "so\u202erry"), "U+202E"),
        (("admin", "grant", "ada@example.com", "3", "--reason", "x", "--key", ""), "key is empty"),
        (
            (*SCHEDULE_PLUS, "--reason", "first line\nqchg_fake  999 a day from 2027-01-01"),
            "U+000A",
        ),
        (
            (*SCHEDULE_PLUS, "--reason", "x\x1b[31my"),
            "U+001B",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(cli, ops, argv, fragment):
    run = cli(*argv)
    assert run.code == 2, run.err
    assert fragment in run.err
    assert len(run.err.strip().splitlines()) == 1
    assert "Traceback" not in run.err


def test_set_plan_raises_the_quota(cli, ops):
    assert cli("admin", "set-plan", "ada@example.com", "pro").code == 0
    assert (_summary(ops).plan, _summary(ops).quota_limit) == ("pro", 150)


def test_a_step_plan_with_notice_and_an_emergency(cli, ops):
    soon = (date.today() + timedelta(days=3)).isoformat()
    refused = cli("admin", "quota", "schedule", "free", "10", "--effective", soon)
    assert refused.code == 2
    assert "notice" in refused.err

    later = (date.today() + timedelta(days=20)).isoformat()
    plan = cli("admin", "quota", "schedule", "free", "20", "10", "--effective", later)
    assert plan.code == 0, plan.err
    assert len(plan.out.strip().splitlines()) == 2

    urgent = cli(
        "admin",
        "quota",
        "schedule",
        "free",
        "15",
        "--effective",
        soon,
        "--emergency",
        "--reason",
        "a GPU host failed",
    )
    assert urgent.code == 0, urgent.err
    listed = cli("admin", "quota", "list", "free")
    assert listed.code == 0
    assert "[emergency]" in listed.out
    assert listed.out.count("qchg_") == 3


def test_quota_list_says_today_in_every_zone_or_by_date_while_a_change_takes_effect(cli, ops):
    """ "Today" is not one date: a change starts in UTC+14 while UTC-12 is two days behind."""
    listed = cli("admin", "quota", "list", "free")
    assert listed.out.splitlines()[0] == "free: 30 units a day today, in every time zone"
    east = latest_day(utcnow())
    with ops.db.write() as db:  # scheduled with notice long ago; in effect in the east now
        db.add(QuotaChange(plan="free", daily_units=20, effective_on=east, reason=""))
    first = cli("admin", "quota", "list", "free").out.splitlines()[0]
    assert first.startswith("free: units a day today by the local date")
    assert f"{east - timedelta(days=1)}: 30, {east}: 20" in first


def test_ledger_check_reports_a_difference_and_exits_1(cli, ops):
    cli("admin", "grant", "ada@example.com", "5", "--reason", "welcome")
    with ops.db.write() as db:
        account = db.query(LedgerAccount).filter(LedgerAccount.kind == "granted").one()
        account.balance += 1
    checked = cli("ledger", "check")
    assert checked.code == 1
    assert "balance is 6, recomputed 5" in checked.err


def test_economics_prints_the_view_and_its_json(cli, ops, monkeypatch):
    import json

    from reelmint.domains.payments.service import start_purchase

    with ops.db.read() as db:
        ada = find_user(db=db, email="ada@example.com")
    start_purchase(services=ops, user=ada, pack_id="pack_10")  # sandbox: test money
    shown = cli("admin", "economics", "--days", "7")
    assert shown.code == 0, shown.err
    assert shown.out.startswith("the last 7 days\n")
    assert "wan       yes" in shown.out
    assert "test money: 1 purchases, 4.00 USD gross, 0.00 USD back, 4.00 USD net" in shown.out
    assert "note: GPU cost is not set" in shown.out
    assert "busy), cost not set\n" in shown.out  # not "0.00 USD"
    assert re.search(r"^wan .*  -$", shown.out, re.M)
    assert "tips: 0 units, 0 to their payees (creators, or rights holders by monetize claims)" in (
        shown.out
    )
    monkeypatch.setenv("REELMINT_GPU_HOUR_COST_CENTS", "250")
    assert "busy), cost 0.00 USD\n" in cli("admin", "economics").out
    as_json = json.loads(cli("admin", "economics", "--json").out)
    assert (as_json["gpu_hour_cost_cents"], as_json["margin_cents"]) == (250, 0)
    assert as_json["test_sales"][0]["gross_cents"] == 400
    refused = cli("admin", "economics", "--days", "0")
    assert refused.code == 2
    assert "days must be between 1 and 366" in refused.err


def _asked_payout(services, units: int = 30, note: str = "PayPal ada@example.com") -> str:
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.payouts.service import request_payout
    from reelmint.domains.wallet.tips import tips_account

    with services.db.write() as db:
        user = find_user(db=db, email="ada@example.com")
        source = platform_account(db=db, name="tip_revenue")
        to = tips_account(db=db, user_id=user.id, available=True)
        transfer(
            db=db, key=f"f{units}", legs=[Leg(source, -units), Leg(to, units)], kind="t", reason="t"
        )
        payout = request_payout(
            db=db, settings=services.settings, actor=user, units=units, key=f"k{units}", note=note
        )
        return payout.id


def test_admin_payouts_list_pages_and_says_when_more_follow(cli, ops):
    asked = [_asked_payout(ops, units) for units in (30, 40, 50)]
    first = cli("admin", "payouts", "list", "--limit", "2")
    assert first.code == 0, first.err
    assert [line.split()[0] for line in first.out.splitlines()] == asked[:2]
    assert first.err == f"more follow: add --after {asked[1]}\n"
    rest = cli("admin", "payouts", "list", "--limit", "2", "--after", asked[1])
    assert ([line.split()[0] for line in rest.out.splitlines()], rest.err) == ([asked[2]], "")
    assert cli("admin", "payouts", "list", "--limit", "0").code == 2
    unknown = cli("admin", "payouts", "list", "--after", "payout_nope")
    assert unknown.code != 0
    assert "give --after the last payout id listed" in unknown.err
    assert cli("admin", "payouts", "list", "--status", "all", "--after", asked[0]).out == (
        "no payouts after that one\n"
    )


def test_admin_payouts_list_pay_and_reject(cli, ops):
    first, second = _asked_payout(ops, 30), _asked_payout(ops, 40, note="")
    listed = cli("admin", "payouts", "list")
    assert listed.code == 0, listed.err
    lines = listed.out.splitlines()
    assert [line.split()[0] for line in lines] == [first, second]
    assert "30 units  12.00 USD (test money)  requested  PayPal ada@example.com" in lines[0]
    paid = cli("admin", "payouts", "paid", first, "--reference", "wire 42")
    assert paid.code == 0, paid.err
    assert "paid by operator  wire 42" in paid.out
    again = cli("admin", "payouts", "paid", first, "--reference", "wire 43")
    assert "paid by operator  wire 42" in again.out  # once: the first reference stays
    rejected = cli("admin", "payouts", "reject", second, "--reason", "no address given")
    assert "rejected by operator  no address given" in rejected.out
    late = cli("admin", "payouts", "paid", second, "--reference", "wire 44")
    assert late.code != 0
    assert "already rejected" in late.err
    assert "Traceback" not in late.err
    assert cli("admin", "payouts", "list").out.strip() == "no payouts requested"
    assert cli("admin", "payouts", "list", "--status", "all").out.count("\n") == 2
    bad = cli("admin", "payouts", "list", "--status", "sent")
    assert bad.code != 0
    assert (
        "unknown status 'sent'; use one of requested, paid, rejected, cancelled, or all" in bad.err
    )
    missing = cli("admin", "payouts", "paid", "payout_nope", "--reference", "x")
    assert missing.code != 0
    assert "no payout payout_nope" in missing.err


def test_admin_payouts_paid_again_with_another_reference_warns_and_exits_1(cli, ops):
    """Paid twice keeps the first reference; the operator who typed another one is told it was
    paid already (when, with what) and nothing changed; the same reference again is a retry."""
    from reelmint.domains.payouts.models import Payout

    payout_id = _asked_payout(ops, 30)
    first = cli("admin", "payouts", "paid", payout_id, "--reference", "SEPA 1")
    assert (first.code, first.err) == (0, "")
    with ops.db.read() as db:
        settled_at = db.get_one(Payout, payout_id).settled_at
    retry = cli("admin", "payouts", "paid", payout_id, "--reference", "  SEPA   1 ")
    assert (retry.code, retry.err) == (0, "")  # the same reference: an idempotent retry
    assert "paid by operator  SEPA 1" in retry.out
    twice = cli("admin", "payouts", "paid", payout_id, "--reference", "SEPA 2")
    assert twice.code == 1
    assert "paid by operator  SEPA 1" in twice.out
    [warning] = twice.err.splitlines()
    assert warning.startswith(
        f"payout {payout_id} was already paid on {settled_at:%Y-%m-%d %H:%M} UTC with "
        'reference "SEPA 1"; nothing was changed and "SEPA 2" was not recorded'
    )
    with ops.db.read() as db:
        assert db.get_one(Payout, payout_id).reference == "SEPA 1"


def test_admin_payouts_rejected_again_for_another_reason_warns_and_exits_1(cli, ops):
    """The payee was told the first reason; an operator typing another is told it was kept."""
    from reelmint.domains.payouts.models import Payout

    payout_id = _asked_payout(ops, 30)
    first = cli("admin", "payouts", "reject", payout_id, "--reason", "no IBAN")
    assert (first.code, first.err) == (0, "")
    retry = cli("admin", "payouts", "reject", payout_id, "--reason", " no  IBAN ")
    assert (retry.code, retry.err) == (0, "")  # the same reason: an idempotent retry
    again = cli("admin", "payouts", "reject", payout_id, "--reason", "other reason")
    assert again.code == 1
    assert "rejected by operator  no IBAN" in again.out
    [warning] = again.err.splitlines()
    assert 'because "no IBAN", as its payee was told; nothing was changed' in warning
    assert warning.endswith('"other reason" was not recorded')
    with ops.db.read() as db:
        assert db.get_one(Payout, payout_id).reason == "no IBAN"


def test_admin_payouts_list_says_when_a_waiting_payouts_payee_owes_units(cli, ops):
    """Asked for before a refund left the creator's wallet owing: the operator is told."""
    from reelmint.domains.ledger.service import Leg, platform_account, transfer
    from reelmint.domains.wallet.service import wallet_of

    payout_id = _asked_payout(ops, 30)
    with ops.db.write() as db:
        user = find_user(db=db, email="ada@example.com")
        wallet = wallet_of(db=db, user_id=user.id, lock=True)
        legs = [Leg(wallet.owed, -8), Leg(platform_account(db=db, name="sales"), 8)]
        transfer(db=db, key="owe-8", legs=legs, kind="refund", reason="a refund")
    listed = cli("admin", "payouts", "list")
    assert listed.code == 0, listed.err
    [line] = listed.out.splitlines()
    assert line.startswith(payout_id)
    assert "12.00 USD (test money)  requested (payee owes 8 units)  PayPal ada@example.com" in line


def test_admin_payouts_list_says_when_a_waiting_payouts_payee_is_suspended(cli, ops):
    payout_id = _asked_payout(ops, 30)
    assert "payee suspended" not in cli("admin", "payouts", "list").out
    assert cli("admin", "suspend", "ada@example.com", "--reason", "spam").code == 0
    [line] = cli("admin", "payouts", "list").out.splitlines()
    assert line.startswith(payout_id)
    assert "requested (payee suspended)" in line
