"""How many video admissions per second does PostgreSQL take, against pgbench on the same server?

An admission is `create_video` through the service layer: the engine's `check_request` (plans
the storyboard, pure CPU), then one write transaction that locks the user's four ledger
accounts, grants today's quota once a day, places the holds that pay for the video and inserts
the job row. This runs `--clients` threads, each looping admissions for `--seconds` after a
warm-up, shared out over `--processes` processes (default: one per core, as the API runs with
`reelmint up --workers N`), and prints throughput and latency percentiles for:
- every client its own user (the normal case), in those processes and in one process,
- every client on one user (the hot account: they serialise on the user's row locks),
- one client alone (the uncontended latency),
then the same server's `pgbench -b tpcb-like` with the same number of clients (the baseline,
measured in the same run), and the ratio admissions/s / pgbench tps. Targets: ratio at least
0.5 and p99 admission latency under 50 ms at 32 clients. Two SQL ceilings follow, pgbench
scripts from bench/sql/ with no Python at all: the statements an admission sends today,
replayed (seven round trips), and about the same work as one PL/pgSQL call (one round trip).
Then two lean-client ceilings, Python threads in the same processes calling that PL/pgSQL
function on plain psycopg connections, without and with the engine's request check: the most a
one-round-trip design with no ORM could reach on this machine (see `LeanClient`).

Then it bulk-inserts postings until the ledger holds `--postings` of them (balanced entries on
filler accounts, balances kept consistent), ANALYZEs, and measures again: admission time must
not grow with the ledger's size (the table prints the 1M / 1k latency ratios).

Everything lives in a schema of its own (`bench_admission`) and pgbench in a database of its
own (`reelmint_bench`); both are dropped at the end.

    python bench/admission.py [--seconds 20] [--clients 32] [--processes N] [--postings 1000000]
        [--skip-million] [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy.engine import URL, make_url

from reelmint.bootstrap import Services, build_services
from reelmint.config import Settings
from reelmint.db import Base
from reelmint.domains.accounts.models import User
from reelmint.domains.accounts.service import create_user
from reelmint.domains.videos.service import VideoRequest, check_video_request, create_video
from reelmint.domains.wallet.service import MAX_GRANT_UNITS, grant_credits

SCHEMA = "bench_admission"
SQL = Path(__file__).parent / "sql"
PGBENCH_DB = "reelmint_bench"
PROMPT = "A white sailboat on the ocean at sunset, the camera pans right."
SMALL_LEDGER = 1_000
FILLER_ACCOUNTS = 1_000
CREDITS = MAX_GRANT_UNITS  # granted units per user (the most one grant may give): no run runs out


# --- the machine ------------------------------------------------------------------------------


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores, from /proc/stat."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    idle = fields[3] + fields[4]  # idle + iowait
    tick = os.sysconf("SC_CLK_TCK")
    return (sum(fields) - idle) / tick, sum(fields) / tick


def _percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank) of `values` seconds, in ms."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))] * 1e3


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


# --- the database -----------------------------------------------------------------------------


def _libpq(url: URL, database: str | None = None) -> str:
    """A libpq connection string for `url` (optionally another database on the same server)."""
    parts = [f"host={url.host or '127.0.0.1'}", f"port={url.port or 5432}"]
    parts.append(f"user={url.username or 'postgres'}")
    if url.password:
        parts.append(f"password={url.password}")
    parts.append(f"dbname={database or url.database}")
    return " ".join(parts)


def _admin(url: URL, database: str | None = None) -> psycopg.Connection:
    return psycopg.connect(_libpq(url, database), autocommit=True)


def _schema_url(url: URL) -> str:
    scoped = url.update_query_dict({"options": f"-csearch_path={SCHEMA}"})
    return scoped.render_as_string(hide_password=False)


def make_services(url: URL, data_dir: Path) -> Services:
    with _admin(url) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        conn.execute(f"CREATE SCHEMA {SCHEMA}")
    services = build_services(Settings(data_dir=data_dir, database_url=_schema_url(url)))
    Base.metadata.create_all(services.db.engine)
    return services


def make_users(services: Services, count: int, prefix: str = "bench") -> list[User]:
    """`count` users, each granted more credits than any run spends."""
    users = []
    with services.db.write() as db:
        for n in range(count):
            email = f"{prefix}{n}@example.com"
            user = create_user(db=db, email=email, password="correct horse ok")
            grant_credits(db=db, user=user, units=CREDITS, reason="benchmark", key=email)
            users.append(user)
    return users


def postings_count(url: URL) -> int:
    with _admin(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {SCHEMA}.ledger_postings").fetchone()[0]


def fill_ledger(url: URL, target: int) -> float:
    """Bulk-insert balanced entries (one unit from a filler platform account to one of
    FILLER_ACCOUNTS filler accounts, two postings each) until the ledger holds about `target`
    postings; keep the accounts' balances equal to the sum of their postings. Seconds taken."""
    start = time.perf_counter()
    with _admin(url) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        have = conn.execute("SELECT count(*) FROM ledger_postings").fetchone()[0]
        entries = max(0, (target - have) // 2)
        if entries == 0:
            return 0.0
        conn.execute(
            """
            INSERT INTO ledger_accounts (id, code, kind, user_id, allow_negative, balance,
                                         reserved, created_at)
            SELECT 'acct_bench_' || k, 'bench:filler:' || k,
                   CASE WHEN k = 0 THEN 'bench_issued' ELSE 'granted' END, NULL, k = 0, 0, 0,
                   now()
            FROM generate_series(0, %s::int) AS k
            ON CONFLICT (code) DO NOTHING
            """,
            (FILLER_ACCOUNTS,),
        )
        # Entry numbers go on from what is there, so a second fill adds to the first.
        first = conn.execute(
            "SELECT count(*) FROM ledger_entries WHERE kind = 'bench_filler'"
        ).fetchone()[0]
        with conn.transaction():
            conn.execute(
                """
                INSERT INTO ledger_entries (id, idempotency_key, fingerprint, kind, reason,
                                            user_id, video_id, hold_id, reference, created_at)
                SELECT 'ent_bench_' || i, 'bench:filler:' || i,
                       md5(i::text) || md5((-i)::text), 'bench_filler', 'benchmark filler',
                       NULL, NULL, NULL, NULL, now()
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i
                """,
                {"first": first, "last": first + entries - 1},
            )
            # Entry i moves one unit from account 0 to account 1 + i % FILLER_ACCOUNTS;
            # balance_after follows from i in closed form.
            conn.execute(
                """
                INSERT INTO ledger_postings (entry_id, account_id, amount, balance_after,
                                             created_at)
                SELECT 'ent_bench_' || i,
                       'acct_bench_' || CASE WHEN side = 0 THEN 0 ELSE 1 + i %% %(n)s::int END,
                       CASE WHEN side = 0 THEN -1 ELSE 1 END,
                       CASE WHEN side = 0 THEN -(i + 1) ELSE i / %(n)s::int + 1 END,
                       now()
                FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS i,
                     (VALUES (0), (1)) AS s(side)
                ORDER BY i, side
                """,
                {"first": first, "last": first + entries - 1, "n": FILLER_ACCOUNTS},
            )
            conn.execute(
                """
                UPDATE ledger_accounts AS a SET balance = s.total
                FROM (SELECT account_id, sum(amount) AS total FROM ledger_postings
                      WHERE account_id LIKE 'acct_bench_%' GROUP BY account_id) AS s
                WHERE a.id = s.account_id
                """
            )
        conn.execute("ANALYZE")
    return time.perf_counter() - start


def ledger_balanced(url: URL) -> bool:
    """Every entry sums to zero and every account's balance is the sum of its postings."""
    with _admin(url) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        unbalanced = conn.execute(
            "SELECT count(*) FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id "
            "HAVING sum(amount) <> 0) AS x"
        ).fetchone()[0]
        wrong = conn.execute(
            "SELECT count(*) FROM ledger_accounts a LEFT JOIN (SELECT account_id, sum(amount) "
            "AS total FROM ledger_postings GROUP BY account_id) s ON s.account_id = a.id "
            "WHERE a.balance <> coalesce(s.total, 0)"
        ).fetchone()[0]
    return unbalanced == 0 and wrong == 0


# --- admissions -------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    clients: int
    users: int
    postings: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    cpu: float = 0.0  # the client processes' CPU seconds over the measured window
    machine: float = 0.0  # the machine's busy fraction (all cores) over the window
    errors: int = 0
    first_error: str = ""
    processes: int = 1

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    @property
    def cpu_ms(self) -> float:
        """Client-side (Python) CPU per admission, in ms, all threads together."""
        return self.cpu / max(1, len(self.latencies)) * 1e3

    def pct(self, q: float) -> float:
        return _percentile(self.latencies, q)


Outcome = tuple[list[float], int, str, float, float]  # latencies, errors, first, cpu, busy


def admit(
    services: Services,
    users: list[User],
    *,
    clients: int,
    seconds: float,
    warmup: float,
    label: str,
    postings: int,
    processes: int = 1,
    lean: str = "",
) -> Run:
    """`clients` client threads loop `create_video` (client i as users[i % len(users)]),
    spread over `processes` processes, each with its own Services and connection pool (as
    `reelmint up --workers N` runs the API); admissions that start and end inside the
    measured window count. With `lean` ("call" or "check+call"), each loop is a `LeanClient`
    call instead: no service layer, the ceiling of a lean client (see there)."""
    run = Run(label, clients, len(users), postings, seconds, processes=processes)
    assigned = [(i, users[i % len(users)].id) for i in range(clients)]
    if processes == 1:
        begin = time.time() + warmup
        outcomes = [_admit_here(services, assigned, begin, begin + seconds, lean)]
    else:
        outcomes = _admit_in_processes(services, assigned, processes, warmup, seconds, lean)
    for latencies, errors, first, cpu, _busy_share in outcomes:
        run.latencies.extend(latencies)
        run.errors += errors
        run.first_error = run.first_error or first
        run.cpu += cpu
    run.machine = outcomes[0][4]  # the whole machine's, read by each process alike
    return run


def _admit_in_processes(
    services: Services,
    assigned: list[tuple[int, str]],
    processes: int,
    warmup: float,
    seconds: float,
    lean: str,
) -> list[Outcome]:
    """The clients shared out over `processes` spawned processes; the warm-up starts when all
    of them have imported, connected and loaded their users."""
    context = multiprocessing.get_context("spawn")
    ready = context.Barrier(processes + 1)
    results = context.Queue()
    where = (str(services.settings.database_url), str(services.settings.data_dir))
    workers = [
        context.Process(
            target=_admit_in_process,
            args=(*where, assigned[p::processes], warmup, seconds, ready, results, lean),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    ready.wait(timeout=300)
    outcomes = [results.get(timeout=300 + warmup + seconds) for _ in workers]
    for worker in workers:
        worker.join()
    return outcomes


def _admit_in_process(
    url: str,
    data_dir: str,
    assigned: list[tuple[int, str]],
    warmup: float,
    seconds: float,
    ready: Any,
    results: Any,
    lean: str,
) -> None:
    """`_admit_here` in a spawned process with its own Services; its outcome onto `results`."""
    services = build_services(Settings(data_dir=Path(data_dir), database_url=url))
    try:
        ready.wait(timeout=300)
        begin = time.time() + warmup
        results.put(_admit_here(services, assigned, begin, begin + seconds, lean))
    finally:
        services.close()


def _admit_here(
    services: Services,
    assigned: list[tuple[int, str]],
    begin: float,
    end: float,
    lean: str = "",
) -> Outcome:
    """One client thread per (client number, user id) looping admissions until `end`
    (wall-clock); the latencies of those inside [begin, end], errors, and this process's CPU
    seconds and the machine's busy share over the window."""
    with services.db.read() as db:
        users = {user_id: db.get_one(User, user_id) for _, user_id in assigned}
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[str] = []

    def client(i: int, user: User) -> None:
        mine: list[float] = []
        n = 0
        once = LeanClient(services, user, lean) if lean else None
        while time.time() < end:
            started, start = time.time(), time.perf_counter()
            request = VideoRequest(prompt=PROMPT, seconds="4", size="480x480", seed=i * 10**6 + n)
            n += 1
            try:
                if once is None:
                    create_video(services=services, user=user, request=request)
                else:
                    once(request, i, n)
            except Exception as exc:  # counted and reported, the run goes on
                with lock:
                    failures.append(f"{type(exc).__name__}: {exc}"[:200])
                continue
            took = time.perf_counter() - start
            if started >= begin and started + took <= end:
                mine.append(took)
        if once is not None:
            once.conn.close()
        with lock:
            latencies.extend(mine)

    threads = [
        threading.Thread(target=client, args=(i, users[user_id]), daemon=True)
        for i, user_id in assigned
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, begin - time.time()))
    cpu, (busy, total) = time.process_time(), _busy()
    time.sleep(max(0.0, end - time.time()))
    cpu = time.process_time() - cpu
    busy_end, total_end = _busy()
    for thread in threads:
        thread.join()
    share = (busy_end - busy) / max(1e-9, total_end - total)
    return latencies, len(failures), failures[0] if failures else "", cpu, share


class LeanClient:
    """One client of the lean ceiling runs. Each loop: with "check+call", the engine's request
    check (as admission runs it); then, in both modes, one autocommit call of
    bench/sql/admission_function.sql's `bench_admit` on a psycopg connection of its own. That
    is what Python would still do in a one-round-trip design with no ORM, short of pricing,
    rights, quota and building the response; so its rate bounds what such a design could reach
    on this machine, with the clients and the database sharing its cores as they do here."""

    def __init__(self, services: Services, user: User, lean: str) -> None:
        url = make_url(str(services.settings.database_url))
        self.conn = psycopg.connect(_libpq(url), autocommit=True, options=f"-csearch_path={SCHEMA}")
        row = self.conn.execute("SELECT n FROM bench_users WHERE id = %s", (user.id,)).fetchone()
        self.who = row[0] if row else 0
        self.settings, self.check = services.settings, lean == "check+call"

    def __call__(self, request: VideoRequest, client: int, n: int) -> None:
        if self.check:
            check_video_request(settings=self.settings, request=request)
        self.conn.execute("SELECT bench_admit(%s, %s, %s)", (self.who, n, client)).fetchone()


# --- pgbench ----------------------------------------------------------------------------------


@dataclass
class Pgbench:
    clients: int
    tps: float
    latencies: list[float]
    failed: int
    machine: float  # the machine's busy fraction (all cores) while it ran
    label: str = "pgbench tpcb-like (baseline)"

    def pct(self, q: float) -> float:
        return _percentile(self.latencies, q)


def _pgbench_env(url: URL) -> dict[str, str]:
    env = dict(os.environ)
    env.update(PGHOST=url.host or "127.0.0.1", PGPORT=str(url.port or 5432))
    env["PGUSER"] = url.username or "postgres"
    if url.password:
        env["PGPASSWORD"] = url.password
    return env


def pgbench_init(url: URL, pgbench: str, scale: int) -> None:
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PGBENCH_DB}")
        conn.execute(f"CREATE DATABASE {PGBENCH_DB}")
    subprocess.run(
        [pgbench, "-i", "-q", "-s", str(scale), PGBENCH_DB],
        env=_pgbench_env(url),
        check=True,
        capture_output=True,
    )


def pgbench_run(
    url: URL,
    pgbench: str,
    *,
    clients: int,
    seconds: float,
    work: Path,
    script: Path | None = None,
    users: int = 0,
) -> Pgbench:
    """`pgbench -b tpcb-like -c CLIENTS -j 2 -T SECONDS -n -M prepared` on its own database,
    with a per-transaction log for the latency percentiles; with `script`, that script
    (`-f`, simple protocol) in the benchmark's schema of the test database instead."""
    logs = work / f"pgbench-{script.stem if script else 'tpcb'}"
    logs.mkdir(exist_ok=True)
    env = _pgbench_env(url)
    if script is None:
        what, database = ["-b", "tpcb-like", "-M", "prepared"], PGBENCH_DB
    else:
        what, database = ["-f", str(script), "-D", f"users={users}"], url.database or "test"
        env["PGOPTIONS"] = f"-csearch_path={SCHEMA}"
    command = [
        pgbench, *what, "-c", str(clients), "-j", str(min(2, clients)),
        "-T", str(max(1, round(seconds))), "-n", "-l", f"--log-prefix={logs / 'log'}", database,
    ]  # fmt: skip
    busy, total = _busy()
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=work)
    match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out.stdout)
    if match is None:
        raise RuntimeError(f"could not read pgbench's tps from:\n{out.stdout}{out.stderr}")
    failed = re.search(r"number of failed transactions: (\d+)", out.stdout)
    latencies = []
    for log in logs.glob("log*"):
        for line in log.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3:
                latencies.append(int(fields[2]) / 1e6)
    busy_end, total_end = _busy()
    return Pgbench(
        clients=clients,
        tps=float(match.group(1)),
        latencies=latencies,
        failed=int(failed.group(1)) if failed else 0,
        machine=(busy_end - busy) / max(1e-9, total_end - total),
        label=f"pgbench {script.name}" if script else "pgbench tpcb-like (baseline)",
    )


def prepare_sql_ceilings(url: URL, users: list[User]) -> None:
    """What the pgbench scripts in bench/sql/ need: the users numbered, a template job row,
    and the one-call admission function (a sketch, created only in the benchmark's schema)."""
    with _admin(url) as conn:
        conn.execute(f"SET search_path TO {SCHEMA}")
        conn.execute("CREATE TABLE bench_users (n int PRIMARY KEY, id text NOT NULL)")
        with conn.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO bench_users VALUES (%s, %s)", list(enumerate(u.id for u in users))
            )
        conn.execute("CREATE TABLE bench_template AS SELECT * FROM videos LIMIT 1")
        conn.execute((SQL / "admission_function.sql").read_text())


def pgbench_drop(url: URL) -> None:
    with _admin(url) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PGBENCH_DB}")


# --- the report -------------------------------------------------------------------------------


def _size(count: int) -> str:
    if count >= 1_000_000:
        return f"{count / 1e6:.2g}M"
    if count >= 1_000:
        return f"{count / 1e3:.2g}k"
    return str(count)


def print_table(runs: list[Run], base: Pgbench, ceilings: list[Pgbench]) -> None:
    print(
        "| workload | processes | clients | users | postings | done | per s | p50 ms | p95 ms "
        "| p99 ms | client CPU ms each | machine busy |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in runs:
        print(
            f"| {r.label} | {r.processes} | {r.clients} | {r.users} | {_size(r.postings)} "
            f"| {len(r.latencies)} "
            f"| {r.rate:.0f} | {r.pct(50):.1f} | {r.pct(95):.1f} | {r.pct(99):.1f} "
            f"| {r.cpu_ms:.1f} | {r.machine:.0%} |"
        )
    for b in (base, *ceilings):
        print(
            f"| {b.label} | - | {b.clients} | - | - | {len(b.latencies)} "
            f"| {b.tps:.0f} | {b.pct(50):.1f} | {b.pct(95):.1f} | {b.pct(99):.1f} "
            f"| - | {b.machine:.0%} |"
        )
    for r in runs:
        if r.errors:
            print(f"\n{r.errors} failed in {r.label!r}; the first: {r.first_error}")
    for b in (base, *ceilings):
        if b.failed:
            print(f"\n{b.label}: {b.failed} failed transactions")
    if not any(b.failed for b in (base, *ceilings)) and not any(r.errors for r in runs):
        print("\nno admission and no pgbench transaction failed")


def print_reading(results: Results) -> None:
    """The targets against runs[0] (own users, several processes); runs[1] is the same in one
    process; with the large ledger, runs[3] and runs[5] are the one-client runs, runs[4] the
    large ledger's own-users run."""
    runs, base, ceilings = results.runs, results.base, results.ceilings
    main_run, one_process = runs[0], runs[1]
    ratio = main_run.rate / base.tps
    verdict = "met" if ratio >= 0.5 else "missed"
    print(
        f"\nadmissions/s ({main_run.clients} clients in {main_run.processes} processes, own "
        f"users) / pgbench tps: {main_run.rate:.0f} / {base.tps:.0f} = {ratio:.3f} "
        f"(target >= 0.5: {verdict})"
    )
    print(
        f"the same in one process: {one_process.rate:.0f} / {base.tps:.0f} = "
        f"{one_process.rate / base.tps:.3f}"
    )
    for ceiling in ceilings:
        print(
            f"ceiling without Python, {ceiling.label} / pgbench tps: {ceiling.tps:.0f} / "
            f"{base.tps:.0f} = {ceiling.tps / base.tps:.3f}"
        )
    for lean in results.lean:
        print(
            f"ceiling with Python, {lean.label} / pgbench tps: {lean.rate:.0f} / "
            f"{base.tps:.0f} = {lean.rate / base.tps:.3f}, p99 {lean.pct(99):.1f} ms"
        )
    verdict = "met" if main_run.pct(99) < 50 else "missed"
    print(
        f"p99 admission latency at {main_run.clients} clients: {main_run.pct(99):.1f} ms "
        f"(target < 50 ms: {verdict})"
    )
    fill_seconds = results.fill_seconds
    if fill_seconds is None:
        return
    small_solo, big, big_solo = runs[3], runs[4], runs[5]
    print(
        f"ledger filled to {_size(big.postings)} postings in {fill_seconds:.1f} s "
        f"(entries balanced, balances consistent: {results.balanced})"
    )
    for name, a, b in (("own users", main_run, big), ("one client", small_solo, big_solo)):
        print(
            f"{name}: {_size(b.postings)} / {_size(a.postings)} postings: "
            f"p50 {b.pct(50) / a.pct(50):.2f}x, p99 {b.pct(99) / a.pct(99):.2f}x, "
            f"throughput {b.rate / a.rate:.2f}x"
        )


@dataclass
class Results:
    """Everything `measure` ran: `runs` in the order `print_reading` expects, the baseline,
    the SQL ceilings (pgbench scripts) and the lean-client ceilings (Python, one call)."""

    runs: list[Run]
    base: Pgbench
    ceilings: list[Pgbench]
    lean: list[Run]
    fill_seconds: float | None
    balanced: bool


def measure(args: argparse.Namespace, url: URL, work: Path) -> Results:
    """All the runs, in order: small ledger (own users in several processes and in one,
    pgbench, the SQL ceilings, the lean clients, one user, one client), then the large ledger
    (own users, one client)."""
    services = make_services(url, work / "data")
    pool = services.db.engine.pool
    most = pool.size() + pool._max_overflow  # type: ignore[attr-defined]
    print(f"SQLAlchemy pool per process: size {pool.size()}, at most {most} connections\n")
    many = args.processes

    def run(
        who: list[User], label: str, clients: int, postings: int, processes: int, lean: str = ""
    ) -> Run:
        return admit(
            services,
            who,
            label=label,
            clients=clients,
            postings=postings,
            processes=processes,
            seconds=args.seconds,
            warmup=args.warmup,
            lean=lean,
        )

    try:
        users = make_users(services, args.clients)
        solo = make_users(services, 1, prefix="solo")
        fill_ledger(url, SMALL_LEDGER)
        small = postings_count(url)
        runs = [
            run(users, "admission, own users", args.clients, small, many),
            run(users, "admission, own users", args.clients, small, 1),
        ]
        pgbench_init(url, args.pgbench, args.scale)
        base = pgbench_run(url, args.pgbench, clients=args.clients, seconds=args.seconds, work=work)
        prepare_sql_ceilings(url, users)
        ceilings = [
            pgbench_run(
                url,
                args.pgbench,
                clients=args.clients,
                seconds=args.seconds,
                work=work,
                script=SQL / script,
                users=len(users),
            )
            for script in ("admission_statements.sql", "admission_function_call.sql")
        ]
        lean = [
            run(users, f"lean client ceiling: {mode}", args.clients, small, many, lean=mode)
            for mode in ("call", "check+call")
        ]
        runs.append(run(users[:1], "admission, one user", args.clients, small, many))
        runs.append(run(solo, "admission, one client", 1, small, 1))
        fill_seconds = None
        if not args.skip_million:
            fill_seconds = fill_ledger(url, args.postings)
            large = postings_count(url)
            runs.append(run(users, "admission, own users", args.clients, large, many))
            runs.append(run(solo, "admission, one client", 1, large, 1))
        return Results(runs, base, ceilings, lean, fill_seconds, ledger_balanced(url))
    finally:
        services.close()
        with _admin(url) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        pgbench_drop(url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument(
        "--processes",
        type=int,
        default=os.cpu_count() or 1,
        help="client processes sharing the clients (default: one per core)",
    )
    parser.add_argument("--postings", type=int, default=1_000_000, help="the large ledger")
    parser.add_argument("--skip-million", action="store_true", help="no large-ledger runs")
    parser.add_argument("--scale", type=int, default=10, help="pgbench -i scale factor")
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "REELMINT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--pgbench", default=shutil.which("pgbench") or "/usr/bin/pgbench")
    args = parser.parse_args()
    url = make_url(args.url)

    with _admin(url) as conn:
        server = conn.execute("SHOW server_version").fetchone()[0]
    print(
        f"machine: {_cpu_name()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"PostgreSQL {server}"
    )
    print(f"load average at start: {_load()}")
    with tempfile.TemporaryDirectory() as tmp:
        results = measure(args, url, Path(tmp))
    print(
        f"{args.seconds:g} s measured per run after {args.warmup:g} s warm-up; pgbench -b "
        f"tpcb-like -c {args.clients} -j 2 -T {round(args.seconds)} -n -M prepared, scale "
        f"{args.scale}\n"
    )
    print_table([*results.runs, *results.lean], results.base, results.ceilings)
    print_reading(results)
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
