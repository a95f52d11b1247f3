"""`make bench`: every scenario against our server and the naive baseline, then one table.

For each server and scenario it starts a fresh cluster (deploy/cluster, so
memory is measured from a clean start), runs bench/load.mjs against it (or,
for `cost`, bench/cost.mjs against its first process), stops it, and finally
prints the issue's targets with what was measured and whether each is met,
then each scenario's details with the ratio to the baseline, then what the
word filter costs a post (bench/word_filter_cost.py). Results go to
bench/results/<time>.json and .md. In rolling-restart, load.mjs restarts the
cluster's processes itself, with deploy/rolling-restart, a third into the
posting. overload offers twice what post-throughput sustained (see
sustained_rate), so post-throughput runs first.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL: the targets are defined for
two processes over PostgreSQL and Redis, and nothing else is comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"
RESULTS_DIR = BENCH_DIR / "results"
# The order they run in: overload offers twice what post-throughput sustained.
SCENARIOS = (
    "classrooms",
    "big-room",
    "connect-storm",
    "rolling-restart",
    "vote-storm",
    "post-throughput",
    "overload",
    "sockets-10k",
    "big-room-5k",
    "history-reads",
    "cost",
)
# Not a load: bench/cost.mjs, one operation at a time against one process.
COST = "cost"
SERVERS = {
    "ours": [],
    "naive": ["--application", "bench.naive_asgi:application"],
}
# Scenarios a server is not run in, and why (said under the table).
NOT_RUN = {
    ("naive", "rolling-restart"): (
        "the baseline is there to compare the cost of websocket fan-out, and has no `since` replay to "
        "resume with after a restart; this scenario's targets are absolute, not relative to it"
    ),
    ("naive", "vote-storm"): "the baseline has no upvotes",
    ("naive", "overload"): (
        "the baseline's HTTP side, where admission happens, is ours; overload measures admission, not fan-out"
    ),
    ("naive", COST): "the baseline's HTTP side is ours, so a post costs it the same",
}
# The target, when nothing sustained is known (see sustained_rate).
SUSTAINED_TARGET = 500
# Sockets the client and the servers hold at most (sockets-10k), with room for
# HTTP connections, PostgreSQL, Redis and files.
OPEN_FILES_NEEDED = 10000 + 2048
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class Row:
    label: str
    path: tuple[str, ...]
    target: str = ""
    lower_is_better: bool = True
    # Returns whether a value meets the target; None when there is no target.
    meets: object = None
    # Context rather than a result: shown, but no "ours vs naive" ratio.
    compared: bool = True


def zero(value: object) -> bool:
    return value == 0


def vote_storm_rows() -> list[Row]:
    return [
        Row("votes accepted", ("votes", "accepted"), "1,000", lower_is_better=False, meets=lambda value: value == 1000),
        Row("votes failed", ("votes", "failed"), "0", meets=zero),
        Row("… sent again after 503 or no answer, as the page does", ("votes", "resent"), compared=False),
        Row("every vote answered within (s)", ("votes", "answeredWithinSeconds"), compared=False),
        Row("vote answer p50 (ms)", ("votes", "latencyMs", "p50")),
        Row("vote answer p99 (ms)", ("votes", "latencyMs", "p99")),
        Row("message.votes events", ("votes", "events"), compared=False),
        Row(
            "message.votes events a second",
            ("votes", "eventsPerSecond"),
            "≤ 4",
            meets=lambda value: value is not None and value <= 4,
        ),
        Row("… in the busiest second as received", ("votes", "eventsPerSecondMax"), compared=False),
        Row(
            "sockets with the right final counts",
            ("counts", "right"),
            "all 1,000",
            lower_is_better=False,
            meets=lambda value: value == 1000,
        ),
        Row("all right after the last vote (s)", ("counts", "settledSeconds")),
        Row("repaired from /events", ("deliveries", "viaFill")),
        Row("reconnects", ("reconnects",)),
        Row(
            "idle RSS per socket (kB)",
            ("memory", "perSocketKb"),
            "≤ 50",
            meets=lambda value: value is not None and value <= 50,
        ),
        Row("server CPU (cores)", ("cpu", "serverCores"), compared=False),
        Row("whole machine CPU (cores of 2)", ("cpu", "machineCores"), compared=False),
    ]


def at_most(limit: float) -> object:
    return lambda value: value is not None and value <= limit


def throughput_rows() -> list[Row]:
    return [
        Row(
            "sustained (posts/s)",
            ("sustainedPerSecond",),
            f"≥ {SUSTAINED_TARGET}",
            lower_is_better=False,
            meets=lambda value: value is not None and value >= SUSTAINED_TARGET,
        ),
        Row("… post answer p99 there (ms)", ("atSustained", "postLatencyMs", "p99"), "≤ 50", meets=at_most(50)),
        Row("… delivery p99 there (ms)", ("atSustained", "latencyMs", "p99"), "≤ 100", meets=at_most(100)),
        Row("… lost there", ("atSustained", "lost"), "0", meets=zero),
        Row("… server CPU there (cores)", ("atSustained", "serverCores"), compared=False),
        Row("broke at (posts/s offered)", ("brokeAt", "offeredPerSecond"), lower_is_better=False, compared=False),
        Row("… answered there (posts/s)", ("brokeAt", "answeredPerSecond"), lower_is_better=False, compared=False),
        Row("… post answer p99 there (ms)", ("brokeAt", "postLatencyMs", "p99"), compared=False),
        Row("… delivery p99 there (ms)", ("brokeAt", "latencyMs", "p99"), compared=False),
        Row("… lost there", ("brokeAt", "lost"), compared=False),
        Row("seconds per step", ("stepSeconds",), compared=False),
    ]


def overload_rows() -> list[Row]:
    return [
        Row("offered (posts/s, 2× sustained)", ("offeredPerSecond",), compared=False),
        Row("accepted (posts/s)", ("overload", "acceptedPerSecond"), lower_is_better=False),
        Row("accepted answer p50 (ms)", ("overload", "acceptedMs", "p50")),
        Row("accepted answer p99 (ms)", ("overload", "acceptedMs", "p99"), "≤ 250", meets=at_most(250)),
        Row("refused (503/429)", ("overload", "refused"), compared=False),
        Row("… with Retry-After", ("overload", "refusedWithRetryAfter"), "all refused", compared=False),
        Row("… refusal answer p99 (ms)", ("overload", "refusedMs", "p99"), "≤ 50", meets=at_most(50)),
        Row("failed otherwise (5xx, timeouts)", ("overload", "failed"), "0", meets=zero),
        Row("skipped by the client (4,000 unanswered)", ("overload", "skipped"), "0", meets=zero),
        Row("acknowledged posts not stored", ("database", "ackedNotStored"), "0", meets=zero),
        Row("lost by listeners", ("lost",), "0", meets=zero),
        Row("answers normal again after (s)", ("recovery", "seconds"), "≤ 1", meets=at_most(1)),
        Row("server CPU under overload (cores)", ("overload", "serverCores"), compared=False),
    ]


def rows_for(scenario: str) -> list[Row]:
    if scenario == "vote-storm":
        return vote_storm_rows()
    if scenario == "post-throughput":
        return throughput_rows()
    if scenario == "overload":
        return overload_rows()
    rows = []
    restart = scenario == "rolling-restart"
    if restart:
        rows += [
            Row("rolling restart exit code", ("restart", "exitCode"), "0", meets=zero, compared=False),
            Row("rolling restart took (s)", ("restart", "seconds"), compared=False),
            Row("readers converged", ("convergence", "converged"), lower_is_better=False),
            Row("readers diverged", ("convergence", "diverged"), "0", meets=zero),
            Row("acknowledged posts not stored", ("convergence", "database", "ackedNotStored"), "0", meets=zero),
            Row("posts stored twice", ("convergence", "database", "storedTwice"), "0", meets=zero),
            Row("posts stored, not acknowledged", ("convergence", "database", "storedNotAcked")),
            Row("deletes failed", ("deletes", "failed")),
        ]
    if scenario == "sockets-10k":
        rows.append(Row("all connected (s)", ("connect", "seconds"), "≤ 10", meets=at_most(10)))
    if scenario == "history-reads":
        rows += [
            Row("history reads (requests/s)", ("history", "perSecond"), "200", lower_is_better=False),
            Row("history read p50 (ms)", ("history", "latencyMs", "p50")),
            Row("history read p99 (ms)", ("history", "latencyMs", "p99"), "≤ 20", meets=at_most(20)),
            Row("history reads failed", ("history", "failed"), "0", meets=zero),
        ]
    if scenario == "connect-storm":
        rows.append(Row("all connected (s)", ("storm", "allConnectedSeconds")))
        rows.append(
            Row(
                "all connected and receiving (s)",
                ("storm", "allReceivingSeconds"),
                "≤ 4",
                meets=lambda value: value is not None and value <= 4,
            )
        )
    rows += [
        Row("connect rate (sockets/s)", ("connect", "perSecond"), lower_is_better=False),
        Row(
            "deliveries/s",
            ("deliveries", "perSecond"),
            "≥ 10,000" if scenario == "big-room" else "",
            lower_is_better=False,
            meets=(lambda value: value is not None and value >= 10000) if scenario == "big-room" else None,
        ),
        Row("latency p50 (ms)", ("latencyMs", "p50")),
        Row("latency p90 (ms)", ("latencyMs", "p90")),
    ]
    p99_limit = {
        "classrooms": 50,
        "big-room": 250,
        "rolling-restart": 250,
        "sockets-10k": 100,
        "big-room-5k": 150,
        "history-reads": 50,
    }.get(scenario)
    rows.append(
        Row(
            "latency p99 (ms)",
            ("latencyMs", "p99"),
            f"≤ {p99_limit}" if p99_limit else "",
            meets=(lambda value: value is not None and value <= p99_limit) if p99_limit else None,
        )
    )
    rows += [
        Row(
            "latency max (ms)",
            ("latencyMs", "max"),
            "≤ 1,000" if restart else "",
            meets=at_most(1000) if restart else None,
        ),
        Row("post answer p50 (ms)", ("posts", "latencyMs", "p50")),
        Row("post answer p99 (ms)", ("posts", "latencyMs", "p99")),
        Row("lost", ("lost",), "0", meets=zero),
        Row("repaired from /events", ("deliveries", "viaFill")),
        Row("duplicated", ("duplicated",), "0" if restart else "", meets=zero if restart else None),
        Row("out of order", ("outOfOrder",)),
        Row("failed posts", ("posts", "failed"), "0" if restart else "", meets=zero if restart else None),
        Row("reconnects", ("reconnects",)),
        Row(
            "idle RSS per socket (kB)",
            ("memory", "perSocketKb"),
            "≤ 50",
            meets=lambda value: value is not None and value <= 50,
        ),
    ]
    # Not measured across a restart: the replaced processes took their CPU time with them.
    if not restart:
        rows.append(Row("server CPU (cores)", ("cpu", "serverCores"), compared=False))
    rows.append(Row("whole machine CPU (cores of 2)", ("cpu", "machineCores"), compared=False))
    return rows


def pick(report: dict | None, path: tuple[str, ...]) -> object:
    value: object = report
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def advantage(row: Row, ours: object, naive: object) -> str:
    if not row.compared or not isinstance(ours, int | float) or not isinstance(naive, int | float):
        return ""
    better, worse = (ours, naive) if not row.lower_is_better else (naive, ours)
    if worse == 0:
        return "" if better == 0 else "∞"
    return f"{better / worse:.1f}×"


def table(results: dict[str, dict[str, dict]]) -> str:
    lines = []
    for scenario in SCENARIOS:
        if scenario == COST or not any(scenario in by_scenario for by_scenario in results.values()):
            continue
        ours = results.get("ours", {}).get(scenario)
        naive = results.get("naive", {}).get(scenario)
        summary = (ours or naive)["summary"]
        offered = pick(ours or naive, ("deliveries", "offeredPerSecond"))
        lines += [f"### {scenario}: {summary}", ""]
        if offered is not None:
            lines += [f"Offered load: {fmt(offered)} deliveries/s.", ""]
        lines += [
            "| metric | target | ours | met | naive baseline | ours vs naive |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for row in rows_for(scenario):
            ours_value, naive_value = pick(ours, row.path), pick(naive, row.path)
            met = "" if row.meets is None or ours is None else ("yes" if row.meets(ours_value) else "**no**")
            lines.append(
                f"| {row.label} | {row.target} | {fmt(ours_value)} | {met} | {fmt(naive_value)} "
                f"| {advantage(row, ours_value, naive_value)} |"
            )
        lines.append("")
        for (server, not_run_scenario), reason in NOT_RUN.items():
            if not_run_scenario == scenario:
                lines += [f"Not run against {server}: {reason}.", ""]
    return "\n".join(lines)


@dataclass(frozen=True)
class Target:
    """One line of the issue's target table: what is measured, from which report, and whether it is met."""

    scenario: str
    target: str
    path: tuple[str, ...]
    meets: object
    label: str = ""


COST_POST = "POST a message"
TARGETS = (
    # Issue 12.
    Target("post-throughput", "≥ 500 posts/s sustained", ("sustainedPerSecond",), lambda v: v >= SUSTAINED_TARGET),
    Target("post-throughput", "… post answer p99 ≤ 50 ms", ("atSustained", "postLatencyMs", "p99"), lambda v: v <= 50),
    Target("post-throughput", "… delivery p99 ≤ 100 ms", ("atSustained", "latencyMs", "p99"), lambda v: v <= 100),
    Target("post-throughput", "… 0 lost", ("atSustained", "lost"), lambda v: v == 0),
    Target(COST, "server CPU per post ≤ 1.5 ms", ("operations", COST_POST, "cpuMs"), lambda v: v <= 1.5),
    Target("overload", "accepted posts' answer p99 ≤ 250 ms", ("overload", "acceptedMs", "p99"), lambda v: v <= 250),
    Target(
        "overload",
        "the rest refused with Retry-After (refused, of them with it)",
        ("overload", "refused"),
        None,
    ),
    Target("overload", "… refused at once (refusal p99 ≤ 50 ms)", ("overload", "refusedMs", "p99"), None),
    Target("overload", "… no other failures", ("overload", "failed"), lambda v: v == 0),
    Target("overload", "nothing acknowledged lost (stored, delivered)", ("database", "ackedNotStored"), None),
    Target("overload", "recovers as the load drops (s until normal ≤ 1)", ("recovery", "seconds"), lambda v: v <= 1),
    Target("rolling-restart", "the restart ran (deploy/rolling-restart exit code 0)", ("restart", "exitCode"), None),
    Target("rolling-restart", "delivery p99 over the whole run ≤ 250 ms", ("latencyMs", "p99"), lambda v: v <= 250),
    Target("rolling-restart", "delivery max ≤ 1 s", ("latencyMs", "max"), lambda v: v <= 1000),
    Target("rolling-restart", "0 lost, 0 duplicated, 0 failed posts", ("lost",), None),
    Target("sockets-10k", "all connected within 10 s", ("connect", "seconds"), lambda v: v <= 10),
    Target("sockets-10k", "delivery p99 ≤ 100 ms", ("latencyMs", "p99"), lambda v: v <= 100),
    Target("sockets-10k", "≤ 50 KB RSS per socket", ("memory", "perSocketKb"), lambda v: v <= 50),
    Target("big-room-5k", "delivery p99 ≤ 150 ms", ("latencyMs", "p99"), lambda v: v <= 150),
    Target("big-room-5k", "0 lost", ("lost",), lambda v: v == 0),
    Target("history-reads", "GET …/messages?limit=50 p99 ≤ 20 ms", ("history", "latencyMs", "p99"), lambda v: v <= 20),
    # Round 1's, kept.
    Target("classrooms", "delivery p99 ≤ 50 ms", ("latencyMs", "p99"), lambda v: v <= 50),
    Target("big-room", "delivery p99 ≤ 250 ms, ≥ 10,000 deliveries/s", ("latencyMs", "p99"), None),
    Target("connect-storm", "all connected and receiving ≤ 4 s", ("storm", "allReceivingSeconds"), lambda v: v <= 4),
)


def special_target(target: Target, report: dict) -> tuple[str, bool | None]:
    """The targets that take more than one number: what to show, and whether it is met."""
    if target.scenario == "overload" and target.path == ("overload", "refused"):
        refused, with_header = pick(report, target.path), pick(report, ("overload", "refusedWithRetryAfter"))
        return f"{fmt(refused)}, {fmt(with_header)}", refused is not None and refused == with_header
    if target.path == ("overload", "refusedMs", "p99"):
        # Nothing refused: nothing to time (the accepted answers' target says whether that was right).
        if not pick(report, ("overload", "refused")):
            return "none refused", None
        p99 = pick(report, target.path)
        return f"{fmt(p99)} ms", p99 is not None and p99 <= 50
    if target.scenario == "overload":
        not_stored, lost = pick(report, target.path), pick(report, ("lost",))
        return f"{fmt(not_stored)} not stored, {fmt(lost)} not delivered", not_stored == 0 and lost == 0
    if target.path == ("restart", "exitCode"):
        # Without a restart, the latencies below are those of plain classrooms.
        code = pick(report, target.path)
        return fmt(code), code == 0
    if target.scenario == "rolling-restart":
        values = [pick(report, path) for path in (("lost",), ("duplicated",), ("posts", "failed"))]
        return ", ".join(map(fmt, values)), all(value == 0 for value in values)
    p99, rate = pick(report, target.path), pick(report, ("deliveries", "perSecond"))
    met = p99 is not None and rate is not None and p99 <= 250 and rate >= 10000
    return f"{fmt(p99)} ms, {fmt(rate)}/s", met


def target_table(ours: dict[str, dict]) -> str:
    lines = [
        "### The targets (ours)",
        "",
        "| scenario | target | measured | met |",
        "| --- | --- | --- | --- |",
    ]
    for target in TARGETS:
        report = ours.get(target.scenario)
        if report is None:
            continue
        if target.meets is None:
            shown, met = special_target(target, report)
        else:
            value = pick(report, target.path)
            shown = fmt(value)
            met = isinstance(value, int | float) and bool(target.meets(value))
        verdict = "–" if met is None else "yes" if met else "**no**"
        lines.append(f"| {target.scenario} | {target.target} | {shown} | {verdict} |")
    return "\n".join([*lines, ""])


def cost_table(cost: dict) -> str:
    lines = [
        f"### cost: server CPU per operation (bench/cost.mjs, pid {cost['pid']}, {cost['count']} of each)",
        "",
        "| operation | wall (ms) | server CPU (ms) |",
        "| --- | --- | --- |",
    ]
    for label, measured in cost["operations"].items():
        lines.append(f"| {label} | {measured['wallMs']:.2f} | {measured['cpuMs']:.3f} |")
    return "\n".join([*lines, ""])


def word_filter_table(cost: dict) -> str:
    lines = [
        "### word filter: CPU per post (bench/word_filter_cost.py)",
        "",
        f"Loading the built-in list, once per process: {cost['loadMs']:.1f} ms.",
        "",
        "| post | ms CPU | budget | met |",
        "| --- | --- | --- | --- |",
    ]
    for label, milliseconds in cost["perPostMs"].items():
        met = "yes" if milliseconds <= cost["budgetMs"] else "**no**"
        lines.append(f"| {label} | {milliseconds:.3f} | ≤ {cost['budgetMs']} | {met} |")
    return "\n".join([*lines, ""])


def run_word_filter_cost(output: Path) -> dict | None:
    command = [sys.executable, str(BENCH_DIR / "word_filter_cost.py"), "--json", str(output)]
    subprocess.run(command, cwd=REPO_ROOT, check=False)
    return json.loads(output.read_text()) if output.exists() else None


def machine_line(duration: int) -> str:
    """What the numbers were measured on, so a run on a busy machine says so."""
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (
        f"{os.cpu_count()} cores; load average {' '.join(load)} at the end; "
        f"BENCH_SECONDS={duration}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n"
    )


def fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:.1f}"
    return str(value)


def server_environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            # Production settings: DEBUG would keep every SQL query in memory.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            # Every poster of the load comes from 127.0.0.1; a real room's
            # come from their own addresses, so the budget they would share
            # here must not be what the bench measures.
            "ADDRESS_POST_RATE_BURST": "1000000",
            "ADDRESS_POST_RATE_PER_MINUTE": "1000000",
            "JOINS_PER_ADDRESS": "1000000",
            # post-throughput and overload offer hundreds of posts a second to
            # 50 rooms; under the participants' limit of 60 a minute that would
            # take thousands of joins first, and a refusal from the limit would
            # read as one from admission. The limiter still runs on every post.
            # (The steady scenarios keep each token at half its limit anyway.)
            "POST_RATE_BURST": "1000000",
            "POST_RATE_PER_MINUTE": "1000000",
        }
    )
    env.setdefault("CHANNEL_LAYER_PREFIX", "bench")
    return env


@dataclass(frozen=True)
class BenchTeacher:
    """The teacher the load signs in as: signing up needs a link from an email, so it is made directly."""

    email: str
    password: str

    @classmethod
    def create(cls, label: str) -> BenchTeacher:
        teacher = cls(email=f"bench-{label}-{secrets.token_hex(4)}@example.org", password=secrets.token_urlsafe(18))
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput", "--email", teacher.email],
            cwd=REPO_ROOT,
            env={**server_environment(), "DJANGO_SUPERUSER_PASSWORD": teacher.password},
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return teacher

    def environment(self) -> dict[str, str]:
        return {**os.environ, "BENCH_TEACHER_EMAIL": self.email, "BENCH_TEACHER_PASSWORD": self.password}


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


class Cluster:
    def __init__(self, *, server: str, processes: int, first_port: int, log_path: Path) -> None:
        self.ports = [first_port + index for index in range(processes)]
        self.command = [
            sys.executable,
            str(REPO_ROOT / "deploy" / "cluster"),
            "--processes",
            str(processes),
            "--first-port",
            str(first_port),
            "--",
            *SERVERS[server],
        ]
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Cluster:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=REPO_ROOT,
                env=server_environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not all(healthy(port) for port in self.ports):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.__exit__()
                sys.exit(f"bench: the cluster did not start; see {self.log_path}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    @property
    def targets(self) -> str:
        return ",".join(f"http://127.0.0.1:{port}" for port in self.ports)


def run_cost(*, cluster: Cluster, duration: int, output: Path) -> dict | None:
    # 300 of each on a quiet machine; fewer in a short run.
    count = max(50, min(300, 10 * duration))
    command = [
        "node",
        str(BENCH_DIR / "cost.mjs"),
        "--target",
        cluster.targets.split(",")[0],
        "--count",
        str(count),
        "--sockets",
        str(min(1000, 20 * count)),
        "--json",
        str(output),
    ]
    teacher = BenchTeacher.create("cost")
    completed = subprocess.run(command, cwd=REPO_ROOT, env=teacher.environment(), check=False)
    if completed.returncode != 0 or not output.exists():
        print(f"bench: cost.mjs failed (exit {completed.returncode})", file=sys.stderr)
        return None
    return json.loads(output.read_text())


def sustained_rate(results: dict[str, dict[str, dict]], given: int | None) -> tuple[int, str]:
    """Posts/s the overload doubles: given, or this run's post-throughput, or the last one's, or the target."""
    if given:
        return given, "given with --sustained"
    reports = [("this run", pick(results.get("ours"), ("post-throughput",)))]
    reports += [
        (path.name, json.loads(path.read_text()))
        for path in sorted(RESULTS_DIR.glob("*-ours-post-throughput.json"), reverse=True)
    ]
    for source, report in reports:
        if not isinstance(report, dict):
            continue
        if report.get("sustainedPerSecond"):
            return report["sustainedPerSecond"], f"post-throughput in {source}"
        # Not even the first step held: what it answered then is the most there is.
        answered = pick(report, ("brokeAt", "answeredPerSecond"))
        if answered:
            return max(1, int(answered)), f"post-throughput in {source} (no step held: what its first answered)"
    return SUSTAINED_TARGET, "the issue's target (no post-throughput result to take it from)"


def raise_open_file_limit() -> None:
    """sockets-10k holds 10,000 sockets in the client and as many in the servers, which inherit this limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard == resource.RLIM_INFINITY else max(soft, hard)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    if wanted != resource.RLIM_INFINITY and wanted < OPEN_FILES_NEEDED:
        print(
            f"bench: warning: at most {wanted} open files (ulimit -Hn); sockets-10k needs about "
            f"{OPEN_FILES_NEEDED}, so some of its sockets will fail",
            file=sys.stderr,
        )


def run_load(
    *, scenario: str, server: str, cluster: Cluster, duration: int, output: Path, extra: list[str]
) -> dict | None:
    command = [
        "node",
        str(BENCH_DIR / "load.mjs"),
        "--scenario",
        scenario,
        "--targets",
        cluster.targets,
        "--duration",
        str(duration),
        "--label",
        server,
        "--json",
        str(output),
        *extra,
    ]
    teacher = BenchTeacher.create(f"{server}-{scenario}")
    completed = subprocess.run(command, cwd=REPO_ROOT, env=teacher.environment(), check=False)
    if completed.returncode != 0 or not output.exists():
        print(f"bench: {scenario} against {server} failed (exit {completed.returncode})", file=sys.stderr)
        return None
    return json.loads(output.read_text())


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--servers", default="ours,naive")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--first-port", type=int, default=8001)
    parser.add_argument("--duration", type=int, default=30, help="seconds of posting per steady scenario")
    parser.add_argument(
        "--sustained",
        type=int,
        help="posts/s the overload takes as sustainable (default: post-throughput's result, this run's or the last)",
    )
    arguments = parser.parse_args()
    arguments.scenarios = [name for name in arguments.scenarios.split(",") if name]
    arguments.servers = [name for name in arguments.servers.split(",") if name]
    unknown = [name for name in arguments.scenarios if name not in SCENARIOS]
    unknown += [name for name in arguments.servers if name not in SERVERS]
    if unknown:
        parser.error(f"unknown scenario or server: {', '.join(unknown)}")
    return arguments


def main() -> int:
    arguments = parse_arguments()
    if not os.environ.get("DATABASE_URL") or not os.environ.get("REDIS_URL"):
        sys.exit(
            "bench: set DATABASE_URL (PostgreSQL, a database of its own) and REDIS_URL, e.g.\n"
            "  DATABASE_URL=postgres://postgres@127.0.0.1:5432/todaysmeet_bench "
            "REDIS_URL=redis://127.0.0.1:6379/0 make bench"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    raise_open_file_limit()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, dict[str, dict]] = {}
    notes = []
    for server in arguments.servers:
        for scenario in arguments.scenarios:
            if (server, scenario) in NOT_RUN:
                print(f"\n== {scenario} against {server}: not run ({NOT_RUN[server, scenario]})", flush=True)
                continue
            print(f"\n== {scenario} against {server}", flush=True)
            log_path = RESULTS_DIR / f"{stamp}-{server}-{scenario}.log"
            output = RESULTS_DIR / f"{stamp}-{server}-{scenario}.json"
            extra = []
            if scenario == "overload":
                sustained, source = sustained_rate(results, arguments.sustained)
                extra = ["--sustained", str(sustained)]
                notes.append(f"overload: sustainable rate {sustained} posts/s, from {source}.")
            with Cluster(
                server=server, processes=arguments.processes, first_port=arguments.first_port, log_path=log_path
            ) as cluster:
                if scenario == COST:
                    report = run_cost(cluster=cluster, duration=arguments.duration, output=output)
                else:
                    report = run_load(
                        scenario=scenario,
                        server=server,
                        cluster=cluster,
                        duration=arguments.duration,
                        output=output,
                        extra=extra,
                    )
            if report is not None:
                results.setdefault(server, {})[scenario] = report
    markdown = machine_line(arguments.duration) + "\n"
    if "ours" in results:
        markdown += target_table(results["ours"]) + "\n"
    markdown += "".join(f"{note}\n" for note in notes) + ("\n" if notes else "")
    markdown += table(results)
    if COST in results.get("ours", {}):
        markdown += "\n" + cost_table(results["ours"][COST])
    print("\n== word filter cost", flush=True)
    filter_cost = run_word_filter_cost(RESULTS_DIR / f"{stamp}-word-filter.json")
    if filter_cost is not None:
        markdown += "\n" + word_filter_table(filter_cost)
    (RESULTS_DIR / f"{stamp}.md").write_text(markdown)
    (RESULTS_DIR / f"{stamp}.json").write_text(json.dumps(results, indent=2))
    print("\n" + markdown)
    print(f"results: {RESULTS_DIR.relative_to(REPO_ROOT)}/{stamp}.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
