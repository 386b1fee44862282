"""CommittedFacts: answers learnt only from transactions that commit, kept per database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from reelmint.db.facts import CommittedFacts


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    built = create_engine(f"sqlite:///{tmp_path / 'facts.db'}")
    yield built
    built.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine)


def test_a_fact_is_known_only_after_its_transaction_commits(sessions):
    facts: CommittedFacts[str] = CommittedFacts()
    with sessions() as db, db.begin():
        facts.learn(db, "platform:sales", "acct_1")
        assert facts.get(db, "platform:sales") is None
    with sessions() as db:
        assert facts.get(db, "platform:sales") == "acct_1"
        assert facts.get(db, "platform:other") is None


def test_a_rolled_back_transaction_teaches_nothing(sessions):
    facts: CommittedFacts[str] = CommittedFacts()
    with sessions() as db:
        db.begin()
        facts.learn(db, "k", "v")
        db.rollback()
        with db.begin():  # the same session commits its next transaction
            db.execute(text("SELECT 1"))
        assert facts.get(db, "k") is None


def test_a_rolled_back_savepoint_forgets_only_its_own_facts(sessions):
    facts: CommittedFacts[str] = CommittedFacts()
    with sessions() as db, db.begin():
        facts.learn(db, "outer", "kept")
        savepoint = db.begin_nested()
        facts.learn(db, "inner", "dropped")
        savepoint.rollback()
        with db.begin_nested():
            facts.learn(db, "released", "kept too")
    with sessions() as db:
        assert facts.get(db, "outer") == "kept"
        assert facts.get(db, "inner") is None
        assert facts.get(db, "released") == "kept too"


def test_a_session_closed_without_commit_does_not_pass_its_facts_on(sessions):
    facts: CommittedFacts[str] = CommittedFacts()
    db = sessions()
    db.begin()
    facts.learn(db, "abandoned", "v")
    db.close()  # rolled back by closing; the same Session object is used again
    with db.begin():
        facts.learn(db, "committed", "v")
    db.close()
    with sessions() as other:
        assert facts.get(other, "abandoned") is None
        assert facts.get(other, "committed") == "v"


def test_each_database_has_its_own_facts(sessions, tmp_path):
    facts: CommittedFacts[str] = CommittedFacts()
    with sessions() as db, db.begin():
        facts.learn(db, "platform:sales", "acct_in_first")
    second = create_engine(f"sqlite:///{tmp_path / 'second.db'}")
    try:
        with Session(second) as db:
            assert facts.get(db, "platform:sales") is None
    finally:
        second.dispose()


def test_a_full_store_starts_afresh(sessions):
    facts: CommittedFacts[int] = CommittedFacts(limit=2)
    for n in range(3):
        with sessions() as db, db.begin():
            facts.learn(db, f"k{n}", n)
    with sessions() as db:
        assert [facts.get(db, f"k{n}") for n in range(3)] == [None, None, 2]
