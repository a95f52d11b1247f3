"""The page's table of close codes says what streaming/close_codes.py says."""

from __future__ import annotations

import re
from pathlib import Path

from streaming import close_codes

STREAM_JS = Path(__file__).resolve().parents[2] / "rooms" / "static" / "rooms" / "stream.js"


def _javascript_table() -> dict[str, int]:
    block = re.search(r"const CLOSE = Object\.freeze\(\{(.*?)\}\);", STREAM_JS.read_text(), re.DOTALL)
    assert block is not None, "stream.js has no `const CLOSE = Object.freeze({...});` block"
    return {name: int(code) for name, code in re.findall(r"^\s*([A-Z_]+):\s*(\d+),", block.group(1), re.MULTILINE)}


def _python_table() -> dict[str, int]:
    return {
        name.removeprefix("CLOSE_"): value
        for name, value in vars(close_codes).items()
        if name.startswith("CLOSE_") and isinstance(value, int)
    }


def test_the_page_knows_every_close_code_the_server_sends_under_the_same_name():
    assert _javascript_table() == _python_table()
