"""The translations: every string people see is marked, and every language has all of them, compiled.

`make messages` writes the catalogues from the code; these tests fail when
they no longer match it (a string marked, or gone, since), when a language
misses a translation or holds a fuzzy one, when a translation drops or adds a
placeholder or a tag, when the compiled .mo files are older than the .po
ones, and when a template, an error message or a page script shows text that
isn't marked at all.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

IN_CI = os.environ.get("CI", "").lower() == "true"
BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
# English is the language of the code: every other one needs its catalogues.
TRANSLATED_LANGUAGES = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
# Templates and Python; the page scripts.
DOMAINS = ("django", "djangojs")
# What makemessages runs (Debian's gettext package).
GETTEXT_TOOLS = ("xgettext", "msguniq", "msgmerge", "msgattrib")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")
TAG = re.compile(r"</?[a-z]+")

# Where the product's own code lives: not its tests, tools or packages.
SOURCE_DIRS = ("accounts", "billing", "rooms", "streaming", "todaysmeet", "webhooks")
# Answers to Stripe's, Mandrill's and Mailchimp's servers, which no person reads.
UNTRANSLATED_PYTHON = {Path("webhooks/views.py")}
# Errors whose first argument is the message people read.
ERROR_CLASSES = {
    "ServiceError",
    "Invalid",
    "Unauthenticated",
    "Forbidden",
    "NotFound",
    "Conflict",
    "TooLarge",
    "UnsupportedMediaType",
    "RateLimited",
    "PaymentRequired",
    "Unavailable",
}
GETTEXT_FUNCTIONS = {"gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy"}
# Attributes a browser shows or reads aloud.
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description", "label"}
# Text that is the same in every language: the product's name, and acronyms such as CSV.
UNTRANSLATABLE = re.compile(r"\btodaysmeet\b|\b[A-Z]{2,}\b")
LETTER = re.compile(r"[^\W\d_]")
# Page-script strings that are not for people: a key's name, and an error only logged to the console.
SCRIPT_CODE_STRINGS = {'"Enter"', "`events ${this.lastSeq + 1}–${event.seq - 1} are missing`"}


def catalogue_path(language: str, domain: str, *, root: Path = LOCALE_DIR, suffix: str = "po") -> Path:
    return root / language / "LC_MESSAGES" / f"{domain}.{suffix}"


def messages_of(catalogue: polib.POFile) -> set[tuple[str | None, str, str]]:
    return {(entry.msgctxt, entry.msgid, entry.msgid_plural) for entry in catalogue if not entry.obsolete}


def each_catalogue() -> Iterator[tuple[str, str]]:
    for language in TRANSLATED_LANGUAGES:
        for domain in DOMAINS:
            yield language, domain


CATALOGUES = pytest.mark.parametrize(("language", "domain"), list(each_catalogue()))


# --- The catalogues and the code -----------------------------------------------


@pytest.fixture(scope="module")
def catalogues_from_the_code(tmp_path_factory) -> Path:
    """locale/ as `make messages` writes it from the code alone, in a copy of the project."""
    missing = [tool for tool in GETTEXT_TOOLS if shutil.which(tool) is None]
    if missing:
        if IN_CI:
            pytest.fail(f"CI=true needs GNU gettext ({', '.join(missing)} missing): apt-get install gettext")
        pytest.skip(f"no {', '.join(missing)}: install GNU gettext (Debian's gettext package)")
    project = tmp_path_factory.mktemp("messages") / "project"
    shutil.copytree(
        BASE_DIR,
        project,
        ignore=shutil.ignore_patterns(".*", "__pycache__", "node_modules", "locale", "staticfiles", "*.sqlite3"),
    )
    for language in TRANSLATED_LANGUAGES:
        (project / "locale" / language).mkdir(parents=True)
    for domain in DOMAINS:
        # The Makefile's command, in the copy: its own settings, so its own locale/.
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "--all", "--domain", domain, "--no-obsolete"],
            cwd=project,
            check=True,
            capture_output=True,
            timeout=120,
        )
    return project / "locale"


@CATALOGUES
def test_every_string_marked_in_the_code_is_in_the_catalogue(catalogues_from_the_code, language, domain):
    from_the_code = messages_of(polib.pofile(catalogue_path(language, domain, root=catalogues_from_the_code)))
    committed = messages_of(polib.pofile(catalogue_path(language, domain)))

    assert sorted(from_the_code - committed, key=str) == [], "new strings: run `make messages`, translate them"
    assert sorted(committed - from_the_code, key=str) == [], "strings gone from the code: run `make messages`"


@CATALOGUES
def test_the_catalogue_is_complete_and_nothing_in_it_is_fuzzy(language, domain):
    catalogue = polib.pofile(catalogue_path(language, domain))

    assert catalogue.metadata.get("Language") == language
    assert "Plural-Forms" in catalogue.metadata
    assert not catalogue.metadata_is_fuzzy
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == []


@CATALOGUES
def test_translations_keep_every_placeholder_and_tag(language, domain):
    def shape(text: str) -> tuple[list[str], list[str]]:
        return sorted(set(PLACEHOLDER.findall(text))), sorted(TAG.findall(text))

    changed = []
    for entry in polib.pofile(catalogue_path(language, domain)):
        if entry.msgid_plural:
            expected = shape(entry.msgid_plural)
            translations = list(entry.msgstr_plural.values())
        else:
            expected = shape(entry.msgid)
            translations = [entry.msgstr]
        changed += [(entry.msgid, text) for text in translations if shape(text) != expected]

    assert changed == []


@CATALOGUES
def test_the_compiled_catalogue_is_the_current_one(language, domain):
    """The .mo files are committed (the site runs without gettext): each must say what its .po says."""
    expected = {}
    for entry in polib.pofile(catalogue_path(language, domain)).translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            expected.update({(key, int(form)): text for form, text in entry.msgstr_plural.items()})
        else:
            expected[key] = entry.msgstr
    with catalogue_path(language, domain, suffix="mo").open("rb") as compiled:
        catalogue = gettext.GNUTranslations(compiled)._catalog

    assert {key: text for key, text in catalogue.items() if key != ""} == expected, "run `make compilemessages`"


# --- Text that isn't marked at all ---------------------------------------------


class VisibleText(HTMLParser):
    """The text and the visible attributes of an HTML page, outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []
        self.hidden_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.hidden_depth += 1
        self.pieces += [value for name, value in attrs if name in VISIBLE_ATTRIBUTES and value]

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden_depth:
            self.pieces.append(data)


def template_text_outside_translations(source: str) -> str:
    """The template's literal text, every tag and variable (and what translate tags hold) made a NUL."""
    kept = []
    skipping_until = None
    for token in Lexer(source).tokenize():
        if skipping_until is not None:
            if token.token_type == TokenType.BLOCK and token.contents.split()[0] == skipping_until:
                skipping_until = None
            continue
        if token.token_type == TokenType.TEXT:
            kept.append(token.contents)
            continue
        kept.append("\0")
        if token.token_type == TokenType.BLOCK:
            words = token.contents.split()
            if words[0] in {"blocktranslate", "blocktrans"}:
                skipping_until = "end" + words[0]
            elif words[0] == "comment":
                skipping_until = "endcomment"
            elif words[0] == "block" and words[1].endswith("_class"):
                # base.html's class attributes, filled in by the page.
                skipping_until = "endblock"
    return "".join(kept)


def is_prose(text: str) -> bool:
    """Words, not a code such as error="m": letters with a space, or a sentence's end."""
    return bool(LETTER.search(text)) and bool(re.search(r"\s|[.!?…:]$", text.strip()))


def untranslated_pieces(pieces: list[str]) -> list[str]:
    # An anchor after a variable ({{ account_url }}#plan) is part of a URL.
    cleaned = (UNTRANSLATABLE.sub("", re.sub(r"\0#[\w-]+", "\0", piece)) for piece in pieces)
    return [" ".join(piece.replace("\0", "…").split()) for piece in cleaned if LETTER.search(piece)]


def template_paths() -> list[Path]:
    roots = [BASE_DIR / "templates", *(BASE_DIR / app / "templates" for app in SOURCE_DIRS)]
    return sorted(
        path for root in roots if root.exists() for path in root.rglob("*") if path.suffix in {".html", ".txt"}
    )


@pytest.mark.parametrize("path", template_paths(), ids=lambda path: str(path.relative_to(BASE_DIR)))
def test_templates_show_no_unmarked_text(path):
    text = template_text_outside_translations(path.read_text())
    if path.suffix == ".html":
        parser = VisibleText()
        parser.feed(text)
        pieces = parser.pieces
    else:
        pieces = [text]

    assert untranslated_pieces(pieces) == []


def is_unmarked_text(node: ast.expr) -> bool:
    """Whether `node` is (or builds) English text without passing it through gettext."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and is_prose(UNTRANSLATABLE.sub("", node.value))
    if isinstance(node, ast.JoinedStr):
        return any(is_unmarked_text(part) for part in node.values if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return is_unmarked_text(node.left) or is_unmarked_text(node.right)
    if isinstance(node, ast.IfExp):
        return is_unmarked_text(node.body) or is_unmarked_text(node.orelse)
    if isinstance(node, ast.BoolOp):
        return any(is_unmarked_text(value) for value in node.values)
    return False


def shown_arguments(call: ast.Call) -> list[ast.expr]:
    """The arguments of `call` that reach people: an error's message, a flash message, a page's error."""
    function = call.func
    name = (
        function.id if isinstance(function, ast.Name) else function.attr if isinstance(function, ast.Attribute) else ""
    )
    shown = [keyword.value for keyword in call.keywords if keyword.arg == "error"]
    if name in ERROR_CLASSES and call.args:
        shown.append(call.args[0])
    elif (name == "error_response" and len(call.args) > 1) or (
        isinstance(function, ast.Attribute) and getattr(function.value, "id", None) == "messages" and len(call.args) > 1
    ):
        shown.append(call.args[1])
    return shown


def python_paths() -> list[Path]:
    paths = (path for directory in SOURCE_DIRS for path in (BASE_DIR / directory).rglob("*.py"))
    return sorted(
        path
        for path in paths
        if not {"tests", "migrations"} & set(path.relative_to(BASE_DIR).parts)
        and path.relative_to(BASE_DIR) not in UNTRANSLATED_PYTHON
    )


def test_error_messages_and_page_errors_are_marked():
    unmarked = []
    for path in python_paths():
        for node in ast.walk(ast.parse(path.read_text())):
            shown: list[ast.expr] = []
            if isinstance(node, ast.Call):
                shown = shown_arguments(node)
            elif isinstance(node, ast.Assign) and any(
                getattr(target, "id", None) == "error" for target in node.targets
            ):
                shown = [node.value]
            unmarked += [f"{path.relative_to(BASE_DIR)}:{value.lineno}" for value in shown if is_unmarked_text(value)]

    assert unmarked == []


# A string literal, or a comment (skipped), in a page script.
SCRIPT_TOKEN = re.compile(r"""//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`""", re.S)
# What comes just before a literal that is translated (or only logged).
TRANSLATED_BEFORE = re.compile(r"""\b(?:n?p?gettext)\(\s*(?:"(?:[^"\\]|\\.)*"\s*,\s*)?$|console\.\w+\(\s*$""")
# What comes just before a literal that is always text for people, whatever it looks like.
TEXT_BEFORE = re.compile(
    r"""\belement\(\s*"\w+"\s*,\s*(?:"[^"]*"|null)\s*,\s*$|\bbutton\(\s*$"""
    r"""|\.(?:textContent|placeholder|title)\s*=\s*$|setAttribute\(\s*"(?:aria-label|title)"\s*,\s*$"""
)


def looks_like_prose(text: str) -> bool:
    """Words with a space or a comma between them (not class names or selectors), or one capitalised word."""
    words = re.search(r"[A-Za-z]+[ ,][A-Za-z]", text) and not re.fullmatch(r"[a-z0-9 -]+", text)
    return bool(words and not text.startswith((":", "[", "/"))) or bool(re.fullmatch(r"[A-Z][a-z]+[.…!?]?", text))


def without_substitutions(text: str) -> str:
    """A template literal's own text: each ${…} (braces nest) made a space."""
    kept, depth = [], 0
    for index, character in enumerate(text):
        if depth == 0 and text.startswith("${", index):
            depth = 1
            kept.append(" ")
        elif depth and character == "{" and text[index - 1] != "$":
            depth += 1
        elif depth and character == "}":
            depth -= 1
        elif not depth:
            kept.append(character)
    return "".join(kept)


def script_paths() -> list[Path]:
    return sorted(path for directory in SOURCE_DIRS for path in (BASE_DIR / directory / "static").rglob("*.js"))


@pytest.mark.parametrize("path", script_paths(), ids=lambda path: path.name)
def test_page_scripts_show_no_unmarked_text(path):
    source = path.read_text()
    unmarked = []
    for match in SCRIPT_TOKEN.finditer(source):
        literal = match.group()
        if literal.startswith("/") or literal in SCRIPT_CODE_STRINGS:
            continue
        before = source[max(0, match.start() - 80) : match.start()]
        if TRANSLATED_BEFORE.search(before):
            continue
        text = without_substitutions(literal[1:-1])
        if (TEXT_BEFORE.search(before) and LETTER.search(text)) or looks_like_prose(text):
            unmarked.append(f"{path.name}:{source.count(chr(10), 0, match.start()) + 1}: {literal}")

    assert unmarked == []
