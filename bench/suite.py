"""`make bench`: every scenario against our server and the naive baseline, then one table.

For each server and scenario it starts a fresh cluster (deploy/cluster, so
memory is measured from a clean start), runs bench/load.mjs against it,
stops it, and finally prints the results next to the issue's targets with
the ratio to the baseline, then what the word filter costs a post
(bench/word_filter_cost.py). Results go to bench/results/<time>.json and .md.
In rolling-restart, load.mjs restarts the cluster's processes itself, with
deploy/rolling-restart, a third into the posting.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL: the targets are defined for
two processes over PostgreSQL and Redis, and nothing else is comparable.
"""

from __future__ import annotations

import argparse
import json
import os
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
SCENARIOS = ("classrooms", "big-room", "connect-storm", "rolling-restart", "vote-storm")
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
}
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 40


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


def rows_for(scenario: str) -> list[Row]:
    if scenario == "vote-storm":
        return vote_storm_rows()
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
    p99_limit = {"classrooms": 50, "big-room": 250}.get(scenario)
    rows.append(
        Row(
            "latency p99 (ms)",
            ("latencyMs", "p99"),
            f"≤ {p99_limit}" if p99_limit else "",
            meets=(lambda value: value is not None and value <= p99_limit) if p99_limit else None,
        )
    )
    rows += [
        Row("latency max (ms)", ("latencyMs", "max")),
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
        if not any(scenario in by_scenario for by_scenario in results.values()):
            continue
        ours = results.get("ours", {}).get(scenario)
        naive = results.get("naive", {}).get(scenario)
        summary = (ours or naive)["summary"]
        offered = pick(ours or naive, ("deliveries", "offeredPerSecond"))
        lines += [
            f"### {scenario}: {summary}",
            "",
            f"Offered load: {fmt(offered)} deliveries/s.",
            "",
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


def run_load(*, scenario: str, server: str, cluster: Cluster, duration: int, output: Path) -> dict | None:
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
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    results: dict[str, dict[str, dict]] = {}
    for server in arguments.servers:
        for scenario in arguments.scenarios:
            if (server, scenario) in NOT_RUN:
                print(f"\n== {scenario} against {server}: not run ({NOT_RUN[server, scenario]})", flush=True)
                continue
            print(f"\n== {scenario} against {server}", flush=True)
            log_path = RESULTS_DIR / f"{stamp}-{server}-{scenario}.log"
            with Cluster(
                server=server, processes=arguments.processes, first_port=arguments.first_port, log_path=log_path
            ) as cluster:
                report = run_load(
                    scenario=scenario,
                    server=server,
                    cluster=cluster,
                    duration=arguments.duration,
                    output=RESULTS_DIR / f"{stamp}-{server}-{scenario}.json",
                )
            if report is not None:
                results.setdefault(server, {})[scenario] = report
    markdown = table(results)
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
