"""What the word filter costs a post, in CPU time: one call of rooms.word_filter per post.

    python bench/word_filter_cost.py [--calls 5000] [--json results.json]

Runs in this process, on one core, so it hardly depends on what else the
machine does. The budget is 0.5 ms of server CPU per post with the filter
on; `node bench/cost.mjs` measures the same difference on a running server.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rooms.word_filter import word_filter_check, word_filter_for

BUDGET_MS = 0.5
# A long classroom question (280 characters, the most a post may have), one
# with words the filter stars, and a room's own list of 200 words.
CLEAN = (
    "I was wondering whether the mitochondria is really the powerhouse of the cell, and what about the "
    "chloroplasts in plants? Also, could we have the test next week instead of Friday, because many of us "
    "are on the school band's trip that day? Thanks a lot for the great class today!!"
)[:280]
DIRTY = "This homework is sh1t and the test was b1tch hard, what the f u c k, I mean it. " * 3
BLOCKED_WORDS = "\n".join(f"blockedword{index}" for index in range(200))


def per_call_ms(text: str, blocked_words: str, calls: int) -> float:
    word_filter_check(text, blocked_words=blocked_words)
    started = time.process_time()
    for _ in range(calls):
        word_filter_check(text, blocked_words=blocked_words)
    return (time.process_time() - started) * 1000 / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--json", type=Path)
    arguments = parser.parse_args()

    started = time.process_time()
    word_filter_for("")
    load_ms = (time.process_time() - started) * 1000
    started = time.process_time()
    word_filter_for(BLOCKED_WORDS)
    room_list_ms = (time.process_time() - started) * 1000
    rows = {
        "280 characters, nothing to star, built-in list": per_call_ms(CLEAN, "", arguments.calls),
        "280 characters, nothing to star, + 200 room words": per_call_ms(CLEAN, BLOCKED_WORDS, arguments.calls),
        "words to star, + 200 room words": per_call_ms(DIRTY[:280], BLOCKED_WORDS, arguments.calls),
    }
    print(f"loading the built-in list, once per process: {load_ms:.1f} ms CPU")
    print(f"a room's list of 200 words, once per process and list: {room_list_ms:.1f} ms CPU")
    for label, cost in rows.items():
        print(f"{label:52} {cost:.3f} ms CPU per post (budget {BUDGET_MS} ms)")
    if arguments.json:
        arguments.json.write_text(
            json.dumps(
                {"loadMs": load_ms, "roomListMs": room_list_ms, "perPostMs": rows, "budgetMs": BUDGET_MS}, indent=2
            )
        )
    return 0 if max(rows.values()) <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
