"""`reelmint admin payments problems`: the provider events that moved money without a credit
to match, newest first, one line each; none is said in words."""

from __future__ import annotations

from sqlalchemy import select

from domains.payments.payment_helpers import pending_purchase, sandbox_paid
from reelmint.bootstrap import build_services
from reelmint.config import Settings
from reelmint.domains.accounts.service import find_user
from reelmint.domains.notifications.models import Notification
from reelmint.domains.payments.service import handle_event


def test_problems_lists_payments_that_were_not_credited(cli, data_dir):
    assert cli("migrate").code == 0
    assert cli("admin", "payments", "problems").out == "no payment problems\n"
    assert cli("admin", "create-user", "bea@example.com", "--password", "a long password").code == 0
    services = build_services(Settings(data_dir=data_dir))
    try:
        with services.db.read() as db:
            user_id = find_user(db=db, email="bea@example.com").id
        short = pending_purchase(services, user_id).id
        assert (
            handle_event(services=services, event=sandbox_paid(short, "evt_1", 1))
            == "amount_mismatch"
        )
        fine = pending_purchase(services, user_id).id
        assert handle_event(services=services, event=sandbox_paid(fine, "evt_2", 400)) == "credited"
        ghost = sandbox_paid("pur_nobody", "evt_3", 400)
        assert handle_event(services=services, event=ghost) == "unknown_purchase"
        late = pending_purchase(services, user_id).id
    finally:
        services.close()
    assert cli("admin", "close-account", "bea@example.com", "--yes").code == 0
    op = ("admin", "create-user", "op@example.com", "--password", "a long password")
    assert cli(*op, "--role", "admin").code == 0
    services = build_services(Settings(data_dir=data_dir))
    try:  # paid after the account was closed: the money arrived, nobody can spend it
        assert handle_event(services=services, event=sandbox_paid(late, "evt_4", 400)) == "credited"
        with services.db.read() as db:  # the operator is told, not only listed
            operator = find_user(db=db, email="op@example.com")
            told = db.scalars(select(Notification).where(Notification.user_id == operator.id))
            assert [n.body for n in told if "paid after its account was closed" in n.body]
    finally:
        services.close()
    listed = cli("admin", "payments", "problems")
    assert listed.code == 0
    lines = [line.split("\t") for line in listed.out.splitlines()]
    assert [line[2:6] for line in lines] == [
        ["evt_4", "payment_completed", "paid_after_close", late],
        ["evt_3", "payment_completed", "unknown_purchase", "-"],
        ["evt_1", "payment_completed", "amount_mismatch", short],
    ]
    assert lines[0][6].endswith("(closed)")
    assert lines[2][6] == lines[0][6]  # the closed account's address now, for both
    assert lines[2][8] == "0.01 USD"  # the mismatch: what was paid, beside the purchase
    assert cli("admin", "payments", "problems", "--limit", "0").code == 2


def test_settle_moves_a_problem_to_the_settled_list_once(cli, data_dir):
    assert cli("migrate").code == 0
    services = build_services(Settings(data_dir=data_dir))
    try:
        ghost = sandbox_paid("pur_nobody", "evt_ghost", 400)
        assert handle_event(services=services, event=ghost) == "unknown_purchase"
    finally:
        services.close()
    [line] = cli("admin", "payments", "problems").out.splitlines()
    problem = line.split("\t")[7]
    assert problem.startswith("pev_")
    refused = cli("admin", "payments", "settle", problem, "--note", " ")
    assert (refused.code, refused.out) == (2, "")
    assert "say how it was settled in 1 to 500 characters" in refused.err
    assert len(refused.err.strip().splitlines()) == 1  # one line, no traceback
    hidden = cli("admin", "payments", "settle", problem, "--note", "refunded \u202ere_9")
    assert hidden.code == 2
    assert "the note has a control or invisible character (U+202E" in hidden.err
    done = cli("admin", "payments", "settle", problem, "--note", "refunded re_9 in Stripe")
    assert (done.code, done.out) == (0, f"payment problem {problem} is settled\n")
    assert cli("admin", "payments", "problems").out == "no payment problems\n"
    [settled] = cli("admin", "payments", "problems", "--settled").out.splitlines()
    fields = settled.split("\t")
    assert (fields[7], fields[10:]) == (problem, ["operator", "refunded re_9 in Stripe"])
    assert fields[8] == "4.00 USD"  # what the payment said was paid
    twice = cli("admin", "payments", "settle", problem, "--note", "again")
    assert twice.code != 0
    assert "settled already, by operator: refunded re_9 in Stripe" in twice.err
    unknown = cli("admin", "payments", "settle", "pev_nothing", "--note", "x")
    assert unknown.code != 0
    assert "no payment problem 'pev_nothing'" in unknown.err


def test_retire_test_money_says_what_it_would_do_then_does_it_once(cli, data_dir):
    from reelmint.domains.payments.service import start_purchase
    from reelmint.domains.wallet.service import wallet_of

    assert cli("migrate").code == 0
    assert cli("admin", "payments", "retire-test-money").out.startswith(
        "no credits bought with test money are left"
    )
    assert cli("admin", "create-user", "bea@example.com", "--password", "a long password").code == 0
    services = build_services(Settings(data_dir=data_dir))
    try:
        with services.db.read() as db:
            bea = find_user(db=db, email="bea@example.com")
        start_purchase(services=services, user=bea, pack_id="pack_10")  # the sandbox: test money
    finally:
        services.close()

    asked = cli("admin", "payments", "retire-test-money")
    assert asked.code == 0, asked.err
    assert asked.out.splitlines() == [
        "test money left: 1 purchase by 1 account, at most 10 units (some may be spent); "
        "run again with --yes to take them back",
        "note: the payment provider still takes test money; credits bought from now on are "
        "test money too",
    ]
    done = cli("admin", "payments", "retire-test-money", "--yes")
    assert done.code == 0, done.err
    assert done.out.splitlines()[0] == (
        "took back 10 units bought with test money (1 purchase by 1 account)"
    )
    services = build_services(Settings(data_dir=data_dir))
    try:
        with services.db.read() as db:
            assert wallet_of(db=db, user_id=bea.id).purchased.balance == 0
            kinds = db.scalars(select(Notification.kind).where(Notification.user_id == bea.id))
            assert "test_credits_retired" in list(kinds)
    finally:
        services.close()
    again = cli("admin", "payments", "retire-test-money", "--yes")
    assert again.out.startswith("no credits bought with test money are left")
    assert cli("ledger", "check").code == 0
