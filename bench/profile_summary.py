"""A text summary of a py-spy profile (`py-spy record --format raw`): where the samples went.

    py-spy record --pid PID --format raw -r 200 -d 25 --nonblocking -o profile.txt
    python bench/profile_summary.py profile.txt [--top 25]

Prints the share of samples in named parts of the post path (a sample counts
once for each part it is in, so the parts overlap), then the functions most
often on the stack and the ones most often at its top. Shares are of the
samples py-spy kept, that is, of the moments a thread was not idle.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

# (label, a pattern any frame of the sample matches): the parts that
# docs/performance.md's "Post path, round 2" table names. Idle samples are
# not kept (py-spy's default), so the loop's epoll wait is not among them.
PARTS = (
    ("HTTP requests on the database threads", r"get_response \(django/core/handlers/base\.py"),
    ("… message_post (the service)", r"message_post \(rooms/services\.py"),
    ("… resolving the bearer token", r"actor_for_token \(rooms/access\.py"),
    ("… Django's connection health check", r"close_old_connections|close_if_unusable_or_obsolete|is_usable"),
    ("… commit", r"commit \(django/db/backends/base/base\.py|__exit__ \(django/db/transaction\.py"),
    ("… the publish on commit", r"_rooms_send \(streaming/publish\.py"),
    ("… building SQL (the ORM's compiler)", r"as_sql \(django/db/models/sql/compiler\.py"),
    ("SQL, in all (cursor execute)", r"_execute \(django/db/backends/utils\.py|execute \(psycopg"),
    ("… waiting for PostgreSQL's answers (`_execute` at the top)", None),
    ("event loop, working (HTTP, the publish, frames)", r"_run_once \(asyncio/base_events\.py"),
)
FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]*)(?::\d+)?\)$")


def parse(path: Path) -> list[tuple[list[str], int]]:
    samples = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples.append((stack.split(";"), int(count)))
    return samples


def function_name(frame: str) -> str:
    match = FRAME.match(frame)
    return f"{match['function']} ({match['file']})" if match else frame


def summary(samples: list[tuple[list[str], int]], top: int) -> str:
    total = sum(count for _, count in samples) or 1
    lines = [f"{total} samples", "", "| where | share of samples |", "| --- | --- |"]
    for label, pattern in PARTS:
        if pattern is None:
            share = sum(count for stack, count in samples if stack[-1].startswith("_execute (django/db/backends/utils"))
        else:
            matcher = re.compile(pattern)
            share = sum(count for stack, count in samples if any(matcher.search(frame) for frame in stack))
        lines.append(f"| {label} | {100 * share / total:.0f}% |")
    inclusive: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    for stack, count in samples:
        for name in {function_name(frame) for frame in stack}:
            inclusive[name] += count
        leaf[function_name(stack[-1])] += count
    lines += ["", f"Top {top} functions on the stack (inclusive):", ""]
    lines += [f"{100 * count / total:5.1f}%  {name}" for name, count in inclusive.most_common(top)]
    lines += ["", f"Top {top} functions at the top of the stack (self):", ""]
    lines += [f"{100 * count / total:5.1f}%  {name}" for name, count in leaf.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    arguments = parser.parse_args()
    print(summary(parse(arguments.profile), arguments.top))


if __name__ == "__main__":
    main()
