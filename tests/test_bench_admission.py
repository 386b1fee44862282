"""bench/admission.py still runs: its set-up, a short admission run and its ledger check, on
PostgreSQL, in a schema of the test's own. (It had stopped at its first step when grants got
an upper bound, and nothing noticed until the next benchmark run.) Times are not asserted."""

from __future__ import annotations

import importlib.util
import secrets
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy.engine import make_url

BENCH = Path(__file__).resolve().parents[1] / "bench" / "admission.py"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_admission", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "SCHEMA", "bench_t_" + secrets.token_hex(5))
    return module


def test_the_admission_benchmark_sets_up_admits_and_balances(bench, postgres_url, tmp_path):
    url = make_url(postgres_url)
    services = bench.make_services(url, tmp_path)
    try:
        users = bench.make_users(services, 2)
        run = bench.admit(
            services, users, clients=2, seconds=0.5, warmup=0.1, label="smoke", postings=0
        )
        assert (run.errors, run.first_error) == (0, "")
        assert run.latencies  # admissions were made and counted
        assert bench.ledger_balanced(url)
    finally:
        services.close()
        with bench._admin(url) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {bench.SCHEMA} CASCADE")
