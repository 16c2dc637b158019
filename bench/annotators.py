"""Benchmark: simulated annotators against gunicorn + PostgreSQL, compared with a bare one-row GET.

For each project size in `--pairs` it creates its own database, imports that many pairs with COPY
(real HH-RLHF texts cycled, distinct content hashes, random sort keys), creates one project (k=3,
120-minute sittings of up to 100,000 items, no break) with `--clients` annotators holding API
tokens, starts gunicorn, then runs two load phases of `--seconds` each with the same clients over
keep-alive HTTP/1.1 connections, interleaved in `--slices` alternating slices so that the machine's
background load hits both alike:

  baseline   each client repeats GET /bench/pair/<random id>/ (one row by primary key, same DRF
             authentication and permission as the API; see bench/urls.py);
  annotate   each client starts a sitting once, then repeats next pair -> submit judgment.

During the phases it records the CPU time of the client, gunicorn and PostgreSQL (from /proc) and
samples pg_stat_activity (what the bench database's backends run or wait on). Then it stops
gunicorn and checks the database: every acknowledged (201) judgment is stored exactly once,
nothing unacknowledged was stored, no pair has more than k counted judgments, and the pairs'
counters match the rows. Last, unloaded and in this process, it times GET, next and submit through
Django's test client with each SQL statement, and runs EXPLAIN (ANALYZE, BUFFERS) on the claim.

The client is a small HTTP/1.1 client on asyncio streams (one connection per annotator), chosen
because client and server share the machine's cores and a heavier client would take CPU from the
server. It never retries a request: any transport error or unexpected status is an error.

    .venv/bin/python bench/annotators.py --pairs 10000 1000000 --clients 100 --seconds 60

Loopback only; every request, slice and server stop is bounded by a timeout; gunicorn and the
database (`--db`, default pw_bench_ann) are removed at the end (`--keep-db` keeps the last one).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Run as a script (python bench/x.py): the repository's root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PG_SERVER,
    REPO,
    copy_escape,
    copy_value,
    database_drop,
    database_recreate,
    hh_rlhf_triples,
)

HOST = "127.0.0.1"
DEFAULT_DB = "pw_bench_ann"
PROJECT_SLUG = "bench"
K = 3
REQUEST_TIMEOUT_S = 30.0
# Answers the simulated annotators give, with weights: mostly a side, sometimes a tie or a skip.
SIDES = ("left", "right", "tie", "skip")
SIDE_WEIGHTS = (46, 46, 6, 2)
# The pair columns the benchmark sets row by row; every other column gets the model field's default.
PAIR_COLUMNS = (
    "project_id, context, response_a, response_b, source_name, source_row, source_format, source_preference, "
    "content_hash, sort_key, judgment_count, lease_count, a_left_count, b_left_count, status, created_at"
)


# HTTP client ------------------------------------------------------------------------------------


class HttpError(Exception):
    """The connection broke or the server answered something that is not HTTP/1.1."""


class Connection:
    """One keep-alive HTTP/1.1 connection with a token, as one annotator's browser would hold."""

    def __init__(self, *, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        """Send one request and read the whole response. On any failure the connection is closed
        (the next request opens a new one) and the exception propagates."""
        try:
            return await asyncio.wait_for(self._exchange(method, path, body), REQUEST_TIMEOUT_S)
        except BaseException:
            await self.close()
            raise

    async def _exchange(self, method: str, path: str, body: dict | None) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\nAuthorization: Token {self.token}\r\n"
            f"Accept: application/json\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        )
        self.writer.write(head.encode() + payload)
        await self.writer.drain()
        status_line, headers = await self._read_head()
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise HttpError(f"not an HTTP/1.1 status line: {status_line!r}")
        status = int(parts[1])
        if "content-length" in headers:
            data = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            data = await self._read_chunked()
        else:
            data = await self.reader.read()
            await self.close()
            return status, data
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, data

    async def _read_head(self) -> tuple[str, dict[str, str]]:
        raw = await self.reader.readuntil(b"\r\n\r\n")
        lines = raw.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return lines[0], headers

    async def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")
                return b"".join(chunks)
            chunks.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)


# Load phases ------------------------------------------------------------------------------------


@dataclass
class PhaseStats:
    """What the clients saw in one phase, summed over its slices. Latencies in seconds, of
    successful requests only; CPU in seconds per part (see `_cpu_snapshot`)."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter = field(default_factory=Counter)
    error_samples: dict[str, str] = field(default_factory=dict)
    acks: list[tuple[int, int]] = field(default_factory=list)  # (judgment id, assignment id) of each 201
    replays: int = 0
    no_pair: int = 0
    elapsed: float = 0.0
    cpu_seconds: Counter = field(default_factory=Counter)
    loadavg: list[float] = field(default_factory=list)
    activity: Counter = field(default_factory=Counter)
    activity_samples: int = 0
    started_sittings: set[int] = field(default_factory=set)

    def record(self, kind: str, seconds: float) -> None:
        self.latencies.setdefault(kind, []).append(seconds)

    def error(self, kind: str, what: str, sample: str = "") -> None:
        key = f"{kind}: {what}"
        self.errors[key] += 1
        self.error_samples.setdefault(key, sample[:300])

    @property
    def cpu_cores(self) -> dict[str, float]:
        """Average cores busy per part over the phase (2.0 = both cores of this machine)."""
        cores = {name: round(seconds / self.elapsed, 2) for name, seconds in self.cpu_seconds.items()}
        cores["other"] = round(cores["machine"] - cores["client"] - cores["gunicorn"] - cores["postgres"], 2)
        return cores

    def activity_summary(self, top: int = 12) -> list[str]:
        """The most frequent (statement, wait) pairs in pg_stat_activity, as mean backends."""
        return [
            f"{count / max(self.activity_samples, 1):6.2f} backends  {wait:<28} {query}"
            for (query, wait), count in self.activity.most_common(top)
        ]


async def _timed(conn: Connection, stats: PhaseStats, kind: str, method: str, path: str, body: dict | None = None):
    """One request; returns (status, body) or None after recording a transport error."""
    started = time.perf_counter()
    try:
        status, data = await conn.request(method, path, body)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, HttpError) as exc:
        stats.error(kind, type(exc).__name__, str(exc))
        return None
    return status, data, time.perf_counter() - started


async def _baseline_client(conn: Connection, stats: PhaseStats, deadline: float, pair_ids: tuple[int, int]) -> None:
    rng = random.Random()
    while time.perf_counter() < deadline:
        result = await _timed(conn, stats, "get", "GET", f"/bench/pair/{rng.randint(*pair_ids)}/")
        if result is None:
            continue
        status, data, seconds = result
        if status == 200:
            stats.record("get", seconds)
        else:
            stats.error("get", f"HTTP {status}", data.decode(errors="replace"))


async def _annotator_client(conn: Connection, stats: PhaseStats, deadline: float) -> None:
    rng = random.Random()
    if id(conn) not in stats.started_sittings:
        result = await _timed(conn, stats, "start", "POST", f"/api/projects/{PROJECT_SLUG}/sittings/", {})
        if result is None or result[0] not in (200, 201):
            if result is not None:
                stats.error("start", f"HTTP {result[0]}", result[1].decode(errors="replace"))
            return
        stats.record("start", result[2])
        stats.started_sittings.add(id(conn))
    while time.perf_counter() < deadline:
        result = await _timed(conn, stats, "next", "POST", f"/api/projects/{PROJECT_SLUG}/next/", {})
        if result is None:
            continue
        status, data, next_seconds = result
        if status != 200:
            stats.error("next", f"HTTP {status}", data.decode(errors="replace"))
            continue
        assignment = json.loads(data)["assignment"]
        if assignment is None:
            stats.no_pair += 1
            await asyncio.sleep(0.05)
            continue
        stats.record("next", next_seconds)
        answer = {
            "side": rng.choices(SIDES, SIDE_WEIGHTS)[0],
            # Answered as soon as it arrives; the server refuses a dwell longer than the pair has been out.
            "dwell_ms": 0,
            "viewport_width": 1280,
            "viewport_height": 800,
        }
        result = await _timed(conn, stats, "submit", "POST", f"/api/assignments/{assignment['id']}/judgment/", answer)
        if result is None:
            continue
        status, data, submit_seconds = result
        if status == 201:
            stats.record("submit", submit_seconds)
            stats.record("cycle", next_seconds + submit_seconds)
            stats.acks.append((json.loads(data)["judgment"]["id"], assignment["id"]))
        elif status == 200:
            stats.replays += 1  # an idempotent replay: never expected, each assignment is sent once
        else:
            stats.error("submit", f"HTTP {status}", data.decode(errors="replace"))


class ActivitySampler(threading.Thread):
    """Samples pg_stat_activity of the bench database every `interval` seconds into `stats`: which
    statements are active and what they wait on ("running" = on a CPU or waiting for one)."""

    def __init__(self, *, db_name: str, stats: PhaseStats, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.db_name = db_name
        self.stats = stats
        self.interval = interval
        self.stop = threading.Event()

    def run(self) -> None:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/{self.db_name}", autocommit=True) as conn:
            while not self.stop.wait(self.interval):
                rows = conn.execute(
                    "SELECT left(regexp_replace(query, '\\s+', ' ', 'g'), 70), "
                    "coalesce(wait_event_type || ':' || wait_event, 'running') FROM pg_stat_activity "
                    "WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid()",
                    [self.db_name],
                ).fetchall()
                self.stats.activity_samples += 1
                self.stats.activity.update(rows)


async def _run_slice(
    *,
    kind: str,
    stats: PhaseStats,
    conns: list[Connection],
    seconds: float,
    pair_ids: tuple[int, int],
    server_pid: int,
    db_name: str,
) -> None:
    """Run one slice of a phase: every connection loops until the deadline, results into `stats`."""
    sampler = ActivitySampler(db_name=db_name, stats=stats)
    sampler.start()
    cpu_before = _cpu_snapshot(server_pid)
    stats.loadavg.append(os.getloadavg()[0])
    started = time.perf_counter()
    deadline = started + seconds
    if kind == "baseline":
        clients = [_baseline_client(conn, stats, deadline, pair_ids) for conn in conns]
    else:
        clients = [_annotator_client(conn, stats, deadline) for conn in conns]
    try:
        # Bounded: requests time out after REQUEST_TIMEOUT_S, the slice after that much more.
        await asyncio.wait_for(asyncio.gather(*clients), seconds + 2 * REQUEST_TIMEOUT_S)
    finally:
        stats.elapsed += time.perf_counter() - started
        cpu_after = _cpu_snapshot(server_pid)
        stats.cpu_seconds.update({name: cpu_after[name] - cpu_before[name] for name in cpu_before})
        sampler.stop.set()
        sampler.join(timeout=5)


async def _run_phases(
    *,
    port: int,
    tokens: list[str],
    seconds: float,
    slices: int,
    pair_ids: tuple[int, int],
    server_pid: int,
    db_name: str,
    kinds: tuple[str, ...] = ("baseline", "annotate"),
) -> dict[str, PhaseStats]:
    """Phases of `seconds` each, interleaved in `slices` alternating slices, so that a change in the
    machine's background load hits both alike. The same connections throughout."""
    phases = {kind: PhaseStats() for kind in kinds}
    conns = [Connection(port=port, token=token) for token in tokens]
    try:
        for _ in range(slices):
            for kind, stats in phases.items():
                await _run_slice(
                    kind=kind,
                    stats=stats,
                    conns=conns,
                    seconds=seconds / slices,
                    pair_ids=pair_ids,
                    server_pid=server_pid,
                    db_name=db_name,
                )
    finally:
        await asyncio.gather(*(conn.close() for conn in conns))
    return phases


# CPU accounting ---------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_times(pid: int, *, with_children: bool) -> float:
    """CPU seconds of a process (and of its reaped children, if asked) from /proc/<pid>/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if with_children else 0)
    return ticks / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _postmaster_pid() -> int | None:
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                pid = int(proc.name)
                if _comm(pid) == "postgres" and _comm(_proc_ppid(pid)) != "postgres":
                    return pid
    return None


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _proc_ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def _cpu_snapshot(server_pid: int) -> dict[str, float]:
    """Machine busy seconds and the CPU seconds of: this client, gunicorn, PostgreSQL (all of it,
    including backends of other databases; reaped backends count through the postmaster)."""
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(x) for x in cpu]
    busy = sum(ticks) - ticks[3] - ticks[4]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    postmaster = _postmaster_pid()
    postgres = 0.0
    if postmaster is not None:
        postgres = _proc_times(postmaster, with_children=True) + sum(
            _proc_times(child, with_children=False) for child in _children(postmaster)
        )
    return {
        "machine": busy / CLOCK_TICKS,
        "client": usage.ru_utime + usage.ru_stime,
        "gunicorn": _proc_times(server_pid, with_children=True)
        + sum(_proc_times(child, with_children=False) for child in _children(server_pid)),
        "postgres": postgres,
    }


# Database set-up --------------------------------------------------------------------------------


def _configure_environment(db_name: str, redis_db: int) -> dict[str, str]:
    """The production-like environment of the bench server (and of this process's Django)."""
    env = {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": f"{HOST},testserver",
        "DATABASE_URL": f"{PG_SERVER}/{db_name}",
        "CONN_MAX_AGE": "60",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    return env


def _cast_create(*, clients: int) -> tuple[int, list[str]]:
    """The bench project and its annotators with API tokens. Returns (project id, token keys)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from annotate.models import Membership, Project, Role

    project = Project.objects.create(
        slug=PROJECT_SLUG,
        name="Bench",
        sitting_minutes=120,
        sitting_items=100_000,
        break_minutes=0,
        judgments_per_pair=K,
        allow_tie=True,
        allow_skip=True,
    )
    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        [user_model(username=f"annotator{i:03d}", password=unusable) for i in range(clients)]
    )
    Membership.objects.bulk_create([Membership(user=u, project=project, role=Role.ANNOTATOR) for u in users])
    tokens = Token.objects.bulk_create([Token(key=Token.generate_key(), user=u) for u in users])
    return project.id, [t.key for t in tokens]


def _hh_rlhf_pairs() -> list[tuple[str, str, str]]:
    """Real HH-RLHF (context, chosen, rejected) triples, COPY-escaped; the pairs cycle through them."""
    return [tuple(copy_escape(text) for text in triple) for triple in hh_rlhf_triples()]


def _pair_default_columns() -> tuple[str, str]:
    """The Pair columns not in PAIR_COLUMNS with their model defaults, as (", col, ...", "\tval...").
    Django's defaults live in Python, not in the table, so COPY must send them."""
    from annotate.models import Pair

    explicit = {name.strip() for name in PAIR_COLUMNS.split(",")}
    columns, values = [], []
    for model_field in Pair._meta.concrete_fields:
        if model_field.primary_key or model_field.column in explicit:
            continue
        # get_default(): the field's default, else "" for text fields, else None.
        value = model_field.get_default()
        if value is None and not model_field.null:
            raise RuntimeError(f"annotate_pair.{model_field.column} needs a value: add it to PAIR_COLUMNS")
        columns.append(model_field.column)
        values.append(copy_value(value))
    return "".join(f", {c}" for c in columns), "".join(f"\t{v}" for v in values)


def _pairs_copy(*, db_name: str, project_id: int, count: int) -> float:
    """COPY `count` pairs with distinct content hashes and random sort keys; returns seconds taken."""
    import psycopg

    started = time.perf_counter()
    texts = _hh_rlhf_pairs()
    rng = random.Random(20261127)
    now = dt.datetime.now(dt.UTC).isoformat()
    extra_columns, extra_values = _pair_default_columns()
    with psycopg.connect(f"{PG_SERVER}/{db_name}") as conn, conn.cursor() as cur:
        with cur.copy(f"COPY annotate_pair ({PAIR_COLUMNS}{extra_columns}) FROM STDIN") as copy:
            batch = []
            for row in range(count):
                context, chosen, rejected = texts[row % len(texts)]
                digest = hashlib.sha256(f"bench-pair-{row}".encode()).hexdigest()
                batch.append(
                    f"{project_id}\t{context}\t{chosen}\t{rejected}\tbench\t{row}\thh-rlhf\ta\t{digest}"
                    f"\t{rng.random()!r}\t0\t0\t0\t0\t0\t{now}{extra_values}\n"
                )
                if len(batch) == 10_000:
                    copy.write("".join(batch))
                    batch.clear()
            copy.write("".join(batch))
        conn.commit()
    with psycopg.connect(f"{PG_SERVER}/{db_name}", autocommit=True) as conn:
        # A freshly imported table, as autovacuum would leave it: statistics and visibility map.
        conn.execute("VACUUM ANALYZE annotate_pair")
    return time.perf_counter() - started


# Server -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _gunicorn_start(*, port: int, workers: int, threads: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    command = [
        str(REPO / ".venv" / "bin" / "gunicorn"),
        "config.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        "--worker-class=gthread",
        f"--threads={threads}",
        "--keep-alive=75",
        "--backlog=2048",
        "--timeout=60",
        "--graceful-timeout=10",
        f"--error-logfile={log}",
    ]
    # The workers' own output (Python warnings, prints) goes to the same log as gunicorn's errors.
    with log.open("a") as output:
        return subprocess.Popen(
            command,
            cwd=REPO,
            env={**os.environ, **env},
            start_new_session=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _gunicorn_stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)


async def _wait_ready(*, port: int, token: str, pair_id: int, server: subprocess.Popen, log: Path) -> None:
    conn = Connection(port=port, token=token)
    limit = time.perf_counter() + 30
    while time.perf_counter() < limit:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(OSError, asyncio.IncompleteReadError, TimeoutError, HttpError):
            status, body = await conn.request("GET", f"/bench/pair/{pair_id}/")
            await conn.close()
            if status == 200:
                return
            raise RuntimeError(f"bench server answered {status}: {body[:500]!r}")
        await asyncio.sleep(0.2)
    raise RuntimeError(f"gunicorn not ready after 30 s:\n{log.read_text()[-3000:]}")


# Checks and analysis ----------------------------------------------------------------------------


# Judgments and leases that count toward k: not gold pairs, not swapped repeat probes (and, for
# judgments, not skips). The same rule as the assignment service.
IN_QUEUE = "NOT is_gold AND probe_of_id IS NULL"
COUNTED = f"side <> 'skip' AND {IN_QUEUE}"


def _verify(*, project_id: int, acks: list[tuple[int, int]]) -> dict[str, int]:
    """What the database says about the acknowledged submits and the pairs' counters."""
    from django.db import connection

    judgment_ids = [j for j, _ in acks]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM annotate_judgment j JOIN unnest(%s::bigint[], %s::bigint[]) AS a(jid, aid) "
            "ON j.id = a.jid AND j.assignment_id = a.aid",
            [judgment_ids, [a for _, a in acks]],
        )
        acked_stored = cur.fetchone()[0]
        cur.execute("SELECT count(*), count(DISTINCT assignment_id) FROM annotate_judgment")
        stored, stored_assignments = cur.fetchone()
        cur.execute(
            f"SELECT count(*) FROM (SELECT pair_id, count(*) FILTER (WHERE {COUNTED}) AS c "
            "FROM annotate_judgment GROUP BY pair_id) t WHERE c > %s",
            [K],
        )
        over_k = cur.fetchone()[0]
        cur.execute(
            f"SELECT coalesce(max(c), 0) FROM (SELECT count(*) FILTER (WHERE {COUNTED}) AS c "
            "FROM annotate_judgment GROUP BY pair_id) t"
        )
        max_counted = cur.fetchone()[0]
        cur.execute(
            f"SELECT count(*) FROM annotate_pair p LEFT JOIN (SELECT pair_id, count(*) FILTER (WHERE {COUNTED}) "
            "AS c FROM annotate_judgment GROUP BY pair_id) j ON j.pair_id = p.id "
            "WHERE p.project_id = %s AND p.judgment_count <> coalesce(j.c, 0)",
            [project_id],
        )
        count_mismatch = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM annotate_pair p LEFT JOIN (SELECT pair_id, count(*) AS c FROM annotate_assignment "
            f"WHERE state = 'leased' AND {IN_QUEUE} GROUP BY pair_id) l ON l.pair_id = p.id "
            "WHERE p.project_id = %s AND p.lease_count <> coalesce(l.c, 0)",
            [project_id],
        )
        lease_mismatch = cur.fetchone()[0]
        # The side counters count live leases and judgments that count (not skips), probes left out;
        # a pair with all its k judgments has each response on the left k/2 times, give or take one.
        sides = "count(*) FILTER (WHERE left_response = 'a') AS a, count(*) FILTER (WHERE left_response = 'b') AS b"
        cur.execute(
            f"SELECT count(*) FROM annotate_pair p LEFT JOIN (SELECT pair_id, {sides} FROM annotate_assignment "
            "WHERE state = 'leased' AND probe_of_id IS NULL GROUP BY pair_id) l ON l.pair_id = p.id "
            f"LEFT JOIN (SELECT pair_id, {sides} FROM annotate_judgment WHERE side <> 'skip' AND probe_of_id IS NULL "
            "GROUP BY pair_id) j ON j.pair_id = p.id WHERE p.project_id = %s "
            "AND (p.a_left_count <> coalesce(l.a, 0) + coalesce(j.a, 0) "
            "OR p.b_left_count <> coalesce(l.b, 0) + coalesce(j.b, 0))",
            [project_id],
        )
        side_mismatch = cur.fetchone()[0]
        cur.execute(
            "SELECT count(*) FROM (SELECT j.pair_id FROM annotate_judgment j JOIN annotate_pair p ON p.id = j.pair_id "
            "JOIN annotate_project pr ON pr.id = p.project_id "
            "WHERE p.project_id = %s AND p.judgment_count >= pr.judgments_per_pair "
            "AND j.side <> 'skip' AND NOT j.is_gold AND j.probe_of_id IS NULL "
            "GROUP BY j.pair_id HAVING abs(count(*) FILTER (WHERE j.left_response = 'a') "
            "- count(*) FILTER (WHERE j.left_response = 'b')) > 1) t",
            [project_id],
        )
        unbalanced = cur.fetchone()[0]
    return {
        "acknowledged": len(acks),
        "acknowledged_distinct": len(set(judgment_ids)),
        "acknowledged_stored": acked_stored,
        "lost": len(set(acks)) - acked_stored,
        "duplicate_acks": len(acks) - len(set(judgment_ids)),
        "stored": stored,
        "stored_twice_for_an_assignment": stored - stored_assignments,
        "stored_unacknowledged": stored - acked_stored,
        "pairs_over_k": over_k,
        "max_counted_judgments_per_pair": max_counted,
        "judgment_count_mismatches": count_mismatch,
        "lease_count_mismatches": lease_mismatch,
        "side_count_mismatches": side_mismatch,
        "full_pairs_with_unbalanced_positions": unbalanced,
    }


class _StatementTimer:
    """A Django execute wrapper that times every statement on the wire (perf_counter)."""

    def __init__(self) -> None:
        self.statements: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((time.perf_counter() - started, sql))


def _analyse(*, project_id: int, repeats: int = 40) -> dict:
    """Unloaded, in this process, through Django's test client (full middleware + DRF, no HTTP):
    per request kind its wall time, CPU time of this process, statements and time waiting on them,
    for the annotator with the longest history; then EXPLAIN (ANALYZE, BUFFERS) of the claim."""
    from django.db import connection, transaction
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from annotate.models import Assignment, AssignmentState, Judgment, Pair

    busiest = (
        Judgment.objects.filter(project_id=project_id)
        .values("annotator")
        .order_by()
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    token = Token.objects.get(user_id=busiest["annotator"]).key
    client = Client(HTTP_AUTHORIZATION=f"Token {token}", SERVER_NAME=HOST)
    # Its own live leases would be handed back by `next` instead of claiming: release them by
    # answering them first, as the annotator would.
    for assignment_id in Assignment.objects.filter(
        annotator_id=busiest["annotator"], state=AssignmentState.LEASED
    ).values_list("id", flat=True):
        client.post(f"/api/assignments/{assignment_id}/judgment/", {"side": "skip"}, content_type="application/json")
    pair_ids = list(Pair.objects.filter(project_id=project_id).values_list("id", flat=True)[:repeats])
    samples: dict[str, list[tuple[float, float, list[tuple[float, str]]]]] = {
        "noop_get": [],
        "noop_post": [],
        "get": [],
        "next": [],
        "submit": [],
    }
    claim_sql = ""

    def timed(kind: str, method: str, path: str, body: dict | None = None):
        timer = _StatementTimer()
        with connection.execute_wrapper(timer):
            wall, cpu = time.perf_counter(), time.process_time()
            if method == "GET":
                response = client.get(path)
            else:
                response = client.post(path, body or {}, content_type="application/json")
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        samples[kind].append((wall, cpu, timer.statements))
        return response

    for pair_id in pair_ids:
        timed("noop_get", "GET", "/bench/noop/")
        timed("noop_post", "POST", "/bench/noop/", {"side": "left", "dwell_ms": 0})
        timed("get", "GET", f"/bench/pair/{pair_id}/")
    for _ in range(repeats):
        with CaptureQueriesContext(connection) as captured:
            response = timed("next", "POST", f"/api/projects/{PROJECT_SLUG}/next/")
        for query in captured.captured_queries:
            if "SKIP LOCKED" in query["sql"] and 'FROM "annotate_pair"' in query["sql"]:
                claim_sql = query["sql"]
        assignment = response.json().get("assignment")
        if response.status_code != 200 or assignment is None:
            break
        timed("submit", "POST", f"/api/assignments/{assignment['id']}/judgment/", {"side": "left", "dwell_ms": 0})
    for kind in samples:
        samples[kind] = samples[kind][1:]  # the first of each kind pays for cold caches
    explain = []
    if claim_sql:
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + claim_sql)
            explain = [row[0] for row in cur.fetchall()]
            transaction.set_rollback(True)
    return {
        "annotator_history": busiest["n"],
        **{kind: _request_profile(runs) for kind, runs in samples.items()},
        "claim_sql": claim_sql,
        "claim_explain": explain,
    }


def _request_profile(runs: list[tuple[float, float, list[tuple[float, str]]]]) -> dict:
    """Medians over runs: wall and CPU per request, statements, time waiting on them, and each
    statement's median time (over the runs with the most common statement count)."""
    if not runs:
        return {}
    modal = Counter(len(r[2]) for r in runs).most_common(1)[0][0]
    same = [r for r in runs if len(r[2]) == modal]
    statements = [
        {
            "ms": round(1000 * statistics.median(r[2][i][0] for r in same), 3),
            "sql": same[0][2][i][1] if len(same[0][2][i][1]) < 150 else same[0][2][i][1][:147] + "...",
        }
        for i in range(modal)
    ]
    return {
        "requests": len(runs),
        "wall_ms_p50": round(1000 * statistics.median(r[0] for r in runs), 2),
        "cpu_ms_p50": round(1000 * statistics.median(r[1] for r in runs), 2),
        "statements": modal,
        "sql_wait_ms_p50": round(1000 * statistics.median(sum(t for t, _ in r[2]) for r in runs), 2),
        "profile": statements,
    }


# Report -----------------------------------------------------------------------------------------


def _pct(values: list[float], q: int) -> float:
    """The q-th percentile in milliseconds (inclusive method), NaN without data."""
    if len(values) < 2:
        return float("nan") if not values else values[0] * 1000
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def _summary(*, pairs: int, baseline: PhaseStats, annotate: PhaseStats, checks: dict, copy_s: float) -> dict:
    lat = annotate.latencies
    get = baseline.latencies.get("get", [])
    cycle = lat.get("cycle", [])
    row = {
        "pairs": pairs,
        "import_s": round(copy_s, 1),
        "judgments_per_s": round(len(annotate.acks) / annotate.elapsed, 1),
        "gets_per_s": round(len(get) / baseline.elapsed, 1),
        "errors": sum(annotate.errors.values()) + sum(baseline.errors.values()),
        "error_kinds": {**dict(baseline.errors), **dict(annotate.errors)},
        "error_samples": {**baseline.error_samples, **annotate.error_samples},
        "no_pair_answers": annotate.no_pair,
        "idempotent_replays": annotate.replays,
        "cpu_cores_baseline": baseline.cpu_cores,
        "cpu_cores_annotate": annotate.cpu_cores,
        "loadavg_1min_at_slice_starts": baseline.loadavg,
        "checks": checks,
        "pg_activity_baseline": baseline.activity_summary(),
        "pg_activity_annotate": annotate.activity_summary(),
    }
    for name, values in (("next", lat.get("next", [])), ("submit", lat.get("submit", [])), ("get", get)):
        for q in (50, 95, 99):
            row[f"{name}_p{q}_ms"] = round(_pct(values, q), 1)
        row[f"{name}_mean_ms"] = round(1000 * statistics.fmean(values), 1) if values else float("nan")
    for q in (50, 95, 99):
        row[f"cycle_p{q}_ms"] = round(_pct(cycle, q), 1)
    row["cycle_mean_ms"] = round(1000 * statistics.fmean(cycle), 1) if cycle else float("nan")
    row["ratio_cycle_to_get_mean"] = round(row["cycle_mean_ms"] / row["get_mean_ms"], 2)
    row["ratio_cycle_to_get_p50"] = round(row["cycle_p50_ms"] / row["get_p50_ms"], 2)
    row["ratio_gets_per_cycle_throughput"] = round(row["gets_per_s"] / row["judgments_per_s"], 2)
    # Robust to the machine's background load: gunicorn's CPU time per cycle and per GET.
    row["gunicorn_cpu_ms_per_cycle"] = round(1000 * annotate.cpu_seconds["gunicorn"] / max(len(annotate.acks), 1), 2)
    row["gunicorn_cpu_ms_per_get"] = round(1000 * baseline.cpu_seconds["gunicorn"] / max(len(get), 1), 2)
    row["ratio_cpu_cycle_to_get"] = round(row["gunicorn_cpu_ms_per_cycle"] / row["gunicorn_cpu_ms_per_get"], 2)
    return row


def _code_version() -> dict[str, str]:
    """Which code was measured: HEAD and, for the files under test, whether they differ from it."""

    def git(*argv: str) -> str:
        result = subprocess.run(["git", *argv], cwd=REPO, capture_output=True, text=True, check=False)
        return result.stdout.strip()

    version = {"head": git("rev-parse", "--short", "HEAD")}
    for path in ("annotate/services/annotating/", "annotate/apis/annotating.py", "annotate/models.py", "config/"):
        changed = git("status", "--porcelain", "--", path)
        version[path] = "modified" if changed else "as HEAD"
    return version


def _markdown(rows: list[dict], args: argparse.Namespace) -> str:
    head = [
        "pairs",
        "judgments/s",
        "next p50/p95/p99 ms",
        "submit p50/p95/p99 ms",
        "cycle p50/p95/p99 ms",
        "bare GET/s",
        "bare GET p50/p95/p99 ms",
        "cycle ÷ GET (mean / p50 / server CPU)",
        "errors",
        "lost / dup / unacked stored",
        "pairs > k / count mismatches",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        c = r["checks"]
        lines.append(
            "| "
            + " | ".join(
                [
                    f"{r['pairs']:,}",
                    f"{r['judgments_per_s']}",
                    f"{r['next_p50_ms']} / {r['next_p95_ms']} / {r['next_p99_ms']}",
                    f"{r['submit_p50_ms']} / {r['submit_p95_ms']} / {r['submit_p99_ms']}",
                    f"{r['cycle_p50_ms']} / {r['cycle_p95_ms']} / {r['cycle_p99_ms']}",
                    f"{r['gets_per_s']}",
                    f"{r['get_p50_ms']} / {r['get_p95_ms']} / {r['get_p99_ms']}",
                    f"{r['ratio_cycle_to_get_mean']}x / {r['ratio_cycle_to_get_p50']}x / "
                    f"{r['ratio_cpu_cycle_to_get']}x",
                    f"{r['errors']}",
                    f"{c['lost']} / {c['duplicate_acks'] + c['stored_twice_for_an_assignment']} / "
                    f"{c['stored_unacknowledged']}",
                    f"{c['pairs_over_k']} / "
                    f"{c['judgment_count_mismatches'] + c['lease_count_mismatches'] + c['side_count_mismatches']}",
                ]
            )
            + " |"
        )
    if len(rows) >= 2:
        small, large = rows[0], rows[-1]
        lines.append("")
        for name in ("next", "submit", "cycle"):
            ratio = large[f"{name}_p99_ms"] / small[f"{name}_p99_ms"]
            lines.append(f"- p99 of {name} at {large['pairs']:,} ÷ at {small['pairs']:,} pairs: {ratio:.2f}x")
    lines.append(
        f"\n{args.clients} clients x {args.seconds:g} s per phase; gunicorn gthread {args.workers} workers x "
        f"{args.threads} threads; client, gunicorn and PostgreSQL share {os.cpu_count()} cores."
    )
    return "\n".join(lines)


# Main -------------------------------------------------------------------------------------------


def _bench_one(*, args: argparse.Namespace, pairs: int, env: dict[str, str]) -> dict:
    from django.core.management import call_command

    # synchronous_commit other than "on" is an experiment only: how much of the cycle is the WAL flush.
    database_recreate(
        args.db, settings={} if args.synchronous_commit == "on" else {"synchronous_commit": args.synchronous_commit}
    )
    print(f"\n## {pairs:,} pairs: database {args.db}", flush=True)
    call_command("migrate", verbosity=0)
    project_id, tokens = _cast_create(clients=args.clients)
    copy_s = _pairs_copy(db_name=args.db, project_id=project_id, count=pairs)
    from annotate.models import Pair

    ids = Pair.objects.filter(project_id=project_id).order_by("id").values_list("id", flat=True)
    pair_ids = (ids.first(), ids.last())
    print(f"imported {pairs:,} pairs in {copy_s:.1f} s (COPY + VACUUM ANALYZE)", flush=True)
    code = _code_version()  # what gunicorn is about to load (the tree may change under a long run)
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="pw-bench-") as tmp:
        log = Path(tmp) / "gunicorn.log"
        server = _gunicorn_start(port=port, workers=args.workers, threads=args.threads, env=env, log=log)
        try:
            asyncio.run(_wait_ready(port=port, token=tokens[0], pair_id=pair_ids[0], server=server, log=log))
            common = {
                "port": port,
                "tokens": tokens,
                "pair_ids": pair_ids,
                "server_pid": server.pid,
                "db_name": args.db,
            }
            if args.warmup:
                asyncio.run(_run_phases(seconds=args.warmup, slices=1, kinds=("baseline",), **common))
            print(
                f"baseline and annotate: {args.clients} clients, {args.seconds:g} s each "
                f"in {args.slices} alternating slices ...",
                flush=True,
            )
            phases = asyncio.run(_run_phases(seconds=args.seconds, slices=args.slices, **common))
        finally:
            _gunicorn_stop(server)
            server_log = log.read_text() if log.exists() else ""
    checks = _verify(project_id=project_id, acks=phases["annotate"].acks)
    row = _summary(pairs=pairs, baseline=phases["baseline"], annotate=phases["annotate"], checks=checks, copy_s=copy_s)
    row["code"] = code
    row["analysis"] = _analyse(project_id=project_id)
    row["server_log_tail"] = [line for line in server_log.splitlines() if "Error" in line or "Traceback" in line][-20:]
    _print_details(row)
    return row


def _print_details(row: dict) -> None:
    hidden = {"analysis", "pg_activity_baseline", "pg_activity_annotate"}
    print(json.dumps({k: v for k, v in row.items() if k not in hidden}, indent=1, default=str), flush=True)
    for kind in ("baseline", "annotate"):
        print(f"\npg_stat_activity during {kind} (mean backends per state):")
        print("\n".join("    " + line for line in row[f"pg_activity_{kind}"]))
    analysis = row["analysis"]
    print(f"\nUnloaded, in-process (annotator with {analysis['annotator_history']} judgments), medians:")
    for name in ("noop_get", "noop_post", "get", "next", "submit"):
        profile = analysis[name]
        if not profile:
            continue
        print(
            f"- {name}: {profile['wall_ms_p50']} ms wall, {profile['cpu_ms_p50']} ms CPU in Python, "
            f"{profile['statements']} statements (+ BEGIN/COMMIT), {profile['sql_wait_ms_p50']} ms waiting on them"
        )
        for statement in profile["profile"]:
            print(f"    {statement['ms']:7.3f} ms  {statement['sql']}")
    print("\nEXPLAIN (ANALYZE, BUFFERS) of the next-pair claim:\n" + analysis["claim_sql"])
    print("\n".join("    " + line for line in analysis["claim_explain"]), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=3.0, help="unrecorded baseline load before the phases")
    parser.add_argument("--slices", type=int, default=6, help="alternate baseline and annotate in this many slices")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--db", default=DEFAULT_DB, help="database to create and drop (must start with pw_bench_)")
    parser.add_argument("--redis-db", type=int, default=6)
    parser.add_argument(
        "--synchronous-commit",
        choices=["on", "off"],
        default="on",
        help="experiment: 'off' for the bench database only, to see what the WAL flush at commit costs",
    )
    parser.add_argument("--keep-db", action="store_true", help="keep the last database for inspection")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not args.db.startswith("pw_bench_"):
        parser.error("--db must start with pw_bench_: the benchmark drops it")
    sys.path.insert(0, str(REPO))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(4096, hard)), hard))
    env = _configure_environment(args.db, args.redis_db)
    # Static files are not served by the API; whitenoise's warning about the missing folder is noise.
    warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
    import django

    django.setup()
    print(f"code measured: {_code_version()}; gunicorn gthread {args.workers}x{args.threads}", flush=True)
    rows = []
    try:
        for pairs in args.pairs:
            rows.append(_bench_one(args=args, pairs=pairs, env=env))
    finally:
        if not args.keep_db:
            database_drop(args.db)
    table = _markdown(rows, args)
    print("\n" + table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        command = " ".join([".venv/bin/python", "bench/annotators.py", *sys.argv[1:]])
        args.json.write_text(
            json.dumps(
                {"command": command, "cores": os.cpu_count(), "code": _code_version(), "rows": rows, "table": table},
                indent=1,
                default=str,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
