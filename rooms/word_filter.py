"""The word filter: a built-in English list, with its leetspeak, plus a room's own words.

The list and the leetspeak table (which characters may stand for which
letter: `@` for a, `1` for i or l, …) come from better-profanity, a
maintained package. Its own matcher is not used: it compares every word of a
post with every entry of the list (50–100 ms for a long post), and a post
must cost at most 0.5 ms more with the filter on. Here the entries are built
once per process into a trie, and each word of a post walks it once,
following every letter a character may stand for.

A word is a run of letters, digits and the characters leetspeak uses (`@`,
`$`, `*`, and `!` or `+` between two of them); an entry of several words
("blow job", "f-u-c-k") matches those words in a row, whatever separates
them. Matching is exact per word, so "assessment" and "Scunthorpe" pass.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from better_profanity import Profanity
from better_profanity.utils import get_complete_path_of_file, read_wordlist

# Each matched word, or run of words, becomes this: as better-profanity
# does, the same length whatever was said.
MASK = "****"
WORD_PATTERN = re.compile(r"(?:[^\W_]|[@$*])+(?:[!+](?:[^\W_]|[@$*])+)*")
# Leetspeak the package's table leaves out, which its list spells entries
# with ("sh!t", "shi+"): entries are stored with the letters instead.
EXTRA_LEETSPEAK = {"!": "i", "+": "t"}
# A trie node's key for "an entry ends here", and for "the entry goes on
# with its next word". Neither is a character a word can hold.
_END = ""
_NEXT_WORD = " "
# Room filters kept per process, by their words: a room's list changes
# rarely, and building its trie costs more than a post's budget.
ROOM_FILTER_CACHE_SIZE = 256


@dataclass(frozen=True)
class FilterResult:
    matched: bool
    # The text with every match replaced by MASK (the text itself if none).
    masked: str


def _entry_words(entry: str) -> list[str]:
    spelled = entry.lower()
    for character, letter in EXTRA_LEETSPEAK.items():
        spelled = spelled.replace(character, letter)
    return WORD_PATTERN.findall(spelled)


def _trie(entries: Iterable[str]) -> dict:
    root: dict = {}
    for entry in entries:
        words = _entry_words(entry)
        if not words:
            continue
        node = root
        for index, word in enumerate(words):
            if index:
                node = node.setdefault(_NEXT_WORD, {})
            for letter in word:
                node = node.setdefault(letter, {})
        node[_END] = True
    return root


@functools.cache
def _leetspeak() -> dict[str, tuple[str, ...]]:
    """Character in a post → the letters of an entry it may stand for ('1' → i or l)."""
    # The table is built in Profanity's constructor; see requirements.txt.
    letters_for: dict[str, set[str]] = {}
    for letter, characters in Profanity().CHARS_MAPPING.items():
        for character in characters:
            letters_for.setdefault(character, {character}).add(letter)
    for character, letter in EXTRA_LEETSPEAK.items():
        letters_for[character] = {letter}
    return {character: tuple(sorted(letters)) for character, letters in letters_for.items()}


@functools.cache
def _builtin_trie() -> dict:
    return _trie(read_wordlist(get_complete_path_of_file("profanity_wordlist.txt")))


class WordFilter:
    """Finds the entries of one or more tries in a text."""

    def __init__(self, tries: tuple[dict, ...]) -> None:
        self.tries = tuple(trie for trie in tries if trie)
        self.leetspeak = _leetspeak()

    def check(self, text: str) -> FilterResult:
        words = list(WORD_PATTERN.finditer(text.lower()))
        spans: list[tuple[int, int]] = []
        index = 0
        while index < len(words):
            last = self._match_from(words, index)
            if last is None:
                index += 1
                continue
            spans.append((words[index].start(), words[last].end()))
            index = last + 1
        if not spans:
            return FilterResult(matched=False, masked=text)
        pieces, position = [], 0
        for start, end in spans:
            pieces += [text[position:start], MASK]
            position = end
        pieces.append(text[position:])
        return FilterResult(matched=True, masked="".join(pieces))

    def _match_from(self, words: list[re.Match], first: int) -> int | None:
        """The index of the last word of an entry that starts at words[first], if one does."""
        nodes = list(self.tries)
        for index in range(first, len(words)):
            nodes = self._walk(nodes, words[index].group())
            if not nodes:
                return None
            if any(_END in node for node in nodes):
                return index
            nodes = [node[_NEXT_WORD] for node in nodes if _NEXT_WORD in node]
            if not nodes:
                return None
        return None

    def _walk(self, nodes: list[dict], word: str) -> list[dict]:
        leetspeak = self.leetspeak
        for character in word:
            letters = leetspeak.get(character)
            if letters is None:
                nodes = [child for node in nodes if (child := node.get(character)) is not None]
            else:
                nodes = [child for node in nodes for letter in letters if (child := node.get(letter)) is not None]
            if not nodes:
                return nodes
        return nodes


@functools.lru_cache(maxsize=ROOM_FILTER_CACHE_SIZE)
def word_filter_for(blocked_words: str) -> WordFilter:
    """The filter of a room whose own words are `blocked_words` (one per line): the built-in list and them."""
    return WordFilter((_builtin_trie(), _trie(blocked_words.splitlines())))


def word_filter_check(text: str, *, blocked_words: str = "") -> FilterResult:
    return word_filter_for(blocked_words).check(text)
