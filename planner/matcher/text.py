"""Words for matching: folded, stemmed, stop words dropped, equivalent phrasings made one term.

`analyze(text)` gives `(term, surface)` pairs: the term compares, the surface (the words as the
text wrote them, folded) explains. Equivalents are an explicit table (`EQUIVALENTS`): "ML" and
"machine learning" are the same term. `IMPLIES` is narrower: a text about React is also about
frontend work, but asking for React does not ask for every frontend event, so implied terms are
added to the events' side only (`analyze(text, implied=True)`).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import Counter
from itertools import compress, count
from typing import NamedTuple

import snowballstemmer

_STEMMER = snowballstemmer.stemmer("english")
_EXTRA_FOLDS = (("ı", "i"), ("ø", "o"), ("ł", "l"), ("đ", "d"), ("æ", "ae"), ("œ", "oe"))
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")  # accents are marks outside ASCII

_STOP = """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each either else etc every few
for from further get got had has have having he her here hers him his how i if in into is it its
itself just let me more most my no nor not now of off on once only or other our ours out over own
per same she should so some such than that the their theirs them then there these they this those
through to too under until up upon us very via was we were what when where which while who whom
why will with within would yet you your yours vs
"""
STOP_WORDS = frozenset(_STOP.split())

# Same meaning, different words. The first spelling names the group; every spelling is folded,
# tokenized and stemmed like any text, so plurals and case come for free.
# fmt: off
EQUIVALENTS: tuple[tuple[str, ...], ...] = (
    ("ml", "machine learning"),
    ("ai", "artificial intelligence"),
    ("llm", "llms", "large language model", "large language models"),
    ("genai", "generative ai", "generative artificial intelligence"),
    ("nlp", "natural language processing"),
    ("evaluation", "eval", "evals"),
    ("rag", "retrieval augmented generation"),
    ("javascript", "js", "ecmascript"),
    ("typescript", "ts"),
    ("nodejs", "node js"),
    ("golang", "go lang"),
    ("dotnet", "dot net"),
    ("postgres", "postgresql", "postgre sql"),
    ("database", "databases", "db", "dbs", "dbms"),
    ("dba", "database administrator", "database administrators"),
    ("data engineering", "data engineer", "data engineers", "etl", "elt", "data pipeline",
     "data pipelines"),
    ("data science", "data scientist", "data scientists"),
    ("kubernetes", "k8s"),
    ("devops", "dev ops", "sre", "site reliability engineering", "site reliability engineer"),
    ("sysadmin", "sysadmins", "system administrator", "systems administrator",
     "system administration", "systems administration", "linux administrator", "linux admin",
     "unix administrator", "unix admin"),
    ("ux", "user experience"),
    ("frontend", "front end", "front ends"),
    ("backend", "back end"),
    ("fullstack", "full stack"),
    ("open source", "opensource", "oss", "foss"),
    ("infosec", "information security", "cybersecurity", "cyber security"),
    ("a11y", "accessibility"),
    ("i18n", "internationalization", "internationalisation"),
    ("iot", "internet of things"),
    ("vr", "virtual reality"),
    ("cicd", "ci cd", "continuous integration", "continuous delivery"),
    ("startup", "startups", "start up", "start ups"),
    ("cofounder", "co founder", "co founders"),
    ("vc", "vcs", "venture capital", "venture capitalist", "venture capitalists"),
    ("investor", "investors", "funder", "funders", "business angel", "business angels"),
    ("seed round", "seed rounds", "seed funding", "seed financing", "seed stage", "pre seed",
     "seed"),
    ("functional programming", "fp"),
    ("climate tech", "climatetech", "cleantech", "clean tech"),
    ("web3", "web 3"),
    ("product management", "product manager", "product managers"),
)
# fmt: on

# A text naming the left says something about the right too (events' side only).
IMPLIES: dict[str, tuple[str, ...]] = {
    "react": ("frontend", "javascript"), "vue": ("frontend", "javascript"),
    "angular": ("frontend",), "svelte": ("frontend",), "nextjs": ("frontend", "javascript"),
    "css": ("frontend",),
    "pytorch": ("ml",), "tensorflow": ("ml",), "scikit": ("ml",),
    "pandas": ("python",), "polars": ("python",), "numpy": ("python",), "pydata": ("python",),
    "django": ("python",), "flask": ("python",), "pycon": ("python",), "pyladies": ("python",),
    "rails": ("ruby",),
    "airflow": ("data engineering",), "dagster": ("data engineering",),
    "dbt": ("data engineering",), "kafka": ("data engineering",), "spark": ("data engineering",),
    "postgres": ("database",), "mysql": ("database",), "sqlite": ("database",),
    "mongodb": ("database",), "postgis": ("postgres", "database"),
    "haskell": ("functional programming",), "ocaml": ("functional programming",),
    "erlang": ("functional programming",), "elixir": ("functional programming",),
    "clojure": ("functional programming",),
    "vc": ("investor",), "dba": ("database",),
    "rag": ("llm",), "chatgpt": ("llm",), "gpt": ("llm",), "llm": ("ai",), "genai": ("ai",),
    "ml": ("ai",),
}  # fmt: skip

# before folding: "Go" the language, told from "go" the verb by its neighbours
_GO_BEFORE = re.compile(
    r"\bGo\b(?=[\s,:]+(?:[A-Z]|dev|meetup|user|programm|language|conf|workshop|talk|night|hack"
    r"|communit|engineer|service|code|backend|module|generic|team|project|side|web|at\b))"
)
_GO_AFTER = re.compile(r"\b(in|with|of|about|using|learn|write|writing|running|meet) Go\b")
# after folding: spellings the word splitter would break (each with a string it needs)
_SPELLINGS = (
    ("c++", re.compile(r"c\+\+"), " cpp "),
    ("c#", re.compile(r"(?<!\w)c#"), " csharp "),
    ("f#", re.compile(r"(?<!\w)f#"), " fsharp "),
    (".net", re.compile(r"(?<!\w)\.net\b"), " dotnet "),
    ("js", re.compile(r"\b(node|next)\.?js\b"), r" \1js "),
    (".js", re.compile(r"\b([a-z0-9]+)\.js\b"), r" \1 "),
    ("ci/cd", re.compile(r"\bci/cd\b"), " cicd "),
)
_SHOWN = {"golang": "go"}  # how a word the spellings above rewrote is shown


def fold(text: str) -> str:
    """Lower case without accents: "Müller" -> "muller", "Aydın" -> "aydin"."""
    if text.isascii():
        return text.lower()
    folded = text.casefold()
    for letter, plain in _EXTRA_FOLDS:
        if letter in folded:
            folded = folded.replace(letter, plain)
    return _NON_ASCII.sub(_without_marks, unicodedata.normalize("NFKD", folded))


def _without_marks(run: re.Match[str]) -> str:
    return "".join(c for c in run.group() if not unicodedata.combining(c))


# words the stemmer folds into another topic's stem: "production" (running software for
# real: "ML in production") and "productivity" are not "product" (product management)
_OWN_STEMS = {
    "production": "production", "productions": "production",
    "productive": "productiv", "productivity": "productiv",
}  # fmt: skip


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    own = _OWN_STEMS.get(word)
    return own if own is not None else str(_STEMMER.stemWord(word))


def words(text: str) -> list[str]:
    """The folded words of `text`, spellings like "C++" and "Node.js" kept whole."""
    found = _runs(text)
    return list(filter(_learned(found).kept.__contains__, found))


def _runs(text: str) -> list[str]:
    """The runs of letters and digits of `text` folded, short ones and numbers included."""
    if "Go" in text:  # each pattern runs only where it can match: same words, less work
        text = _GO_AFTER.sub(r"\1 golang", _GO_BEFORE.sub("golang", text))
    folded = fold(text)
    for needle, pattern, replacement in _SPELLINGS:
        if needle in folded:
            folded = pattern.sub(replacement, folded)
    return folded.encode("ascii", "replace").translate(_SEPARATE).decode("ascii").split()


# the runs of [a-z0-9] in a text, as `re.findall("[a-z0-9]+", ...)` finds them: every other
# character (anything not ASCII first becomes "?") turned into a space, then split at spaces
_SEPARATE = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789" else 32 for c in range(256))


class _Words:
    """What is known of each word met: the term it gives alone (its stem; "" when analysis
    drops it: one letter, a number, a stop word), whether `words` keeps it, and whether an
    equivalent phrase may start with it. Plain dict and set lookups, mapped over a text's
    words at C speed; each new word is looked at once."""

    LIMIT = 500_000  # words remembered before starting afresh

    def __init__(self) -> None:
        self.term: dict[str, str] = {}
        self.kept: set[str] = set()
        self.openers: set[str] = set()


_WORDS = _Words()


def _learned(found: list[str]) -> _Words:
    """The word tables, knowing every word of `found`."""
    global _WORDS
    table = _WORDS
    if all(map(table.term.__contains__, found)):
        return table
    new = set(found).difference(table.term)
    if new and len(table.term) > _Words.LIMIT:
        table = _WORDS = _Words()  # a new table: a caller still reading the old one is fine
        new = set(found)
    for word in new:
        kept = len(word) > 1 and not word.isdigit()
        root = stem(word) if kept else ""
        if kept:
            table.kept.add(word)
        if root in _PHRASES:
            table.openers.add(word)
        table.term[word] = "" if word in STOP_WORDS else root
    return table


def _phrase_table() -> dict[str, list[tuple[tuple[str, ...], str]]]:
    """First stem -> [(stems of a spelling, the group's term)], longest spellings first."""
    table: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for group in EQUIVALENTS:
        term = " ".join(stem(w) for w in words(group[0]))
        for spelling in group:
            stems = tuple(stem(w) for w in words(spelling))
            table.setdefault(stems[0], []).append((stems, term))
    for entries in table.values():
        entries.sort(key=lambda entry: -len(entry[0]))
    return table


_PHRASES: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # while the table is built
_PHRASES = _phrase_table()
_WORDS = _Words()  # forget the words met while building the table, before openers were known
_LONGEST = max(len(stems) for entries in _PHRASES.values() for stems, _ in entries)
_IMPLIED = {
    " ".join(stem(w) for w in words(k)): tuple(" ".join(stem(w) for w in words(t)) for t in v)
    for k, v in IMPLIES.items()
}


SHORT = 256  # texts up to this long (titles, tags, goals) stay analyzed in a large cache


def analyze(text: str, implied: bool = False) -> list[tuple[str, str]]:
    """(term, surface) for each meaningful word or equivalent phrase of `text`."""
    found = _analyzed_short(text, implied) if len(text) <= SHORT else _analyzed(text, implied)
    return list(found)


@functools.lru_cache(maxsize=2048)
def _analyzed_short(text: str, implied: bool) -> tuple[tuple[str, str], ...]:
    return _analysis(text, implied)


@functools.lru_cache(maxsize=64)  # a few descriptions: one pick's, read for each goal
def _analyzed(text: str, implied: bool) -> tuple[tuple[str, str], ...]:
    return _analysis(text, implied)


def _analysis(text: str, implied: bool) -> tuple[tuple[str, str], ...]:
    tokens = words(text)
    stems = [stem(w) for w in tokens]
    pairs: list[tuple[str, str]] = []
    at = 0
    while at < len(tokens):
        term, width = _phrase_at(stems, at)
        if term is None:
            term, width = stems[at], 1
        surface = (
            _SHOWN.get(tokens[at], tokens[at]) if width == 1 else " ".join(tokens[at : at + width])
        )
        at += width
        if width == 1 and tokens[at - 1] in STOP_WORDS:
            continue
        pairs.append((term, surface))
        if implied:
            pairs.extend((more, surface) for more in _IMPLIED.get(term, ()))
    return tuple(pairs)


def _phrase_at(stems: list[str], at: int) -> tuple[str | None, int]:
    for phrase, term in _PHRASES.get(stems[at], ()):
        if tuple(stems[at : at + len(phrase)]) == phrase:
            return term, len(phrase)
    return None, 0


_IMPLIERS = frozenset(_IMPLIED)


def term_counts(text: str, implied: bool = False) -> Counter[str]:
    """How often each term of `analyze(text, implied)` occurs, without building the pairs:
    the words are counted at once, and only where an equivalent phrase may start are they
    read in order, as `analyze` reads them (a phrase takes its words' places)."""
    return counted(text, implied).counts


class Counted(NamedTuple):
    """A text's `term_counts`, and whether its last words may begin an equivalent phrase
    that words after them would complete (then the text cannot be counted on its own)."""

    counts: Counter[str]
    open_end: bool


PARAGRAPH = "\n\n"


def paragraphs(text: str) -> list[str] | None:
    """`text` cut at its blank lines; None when it has none, or when its parts cannot be read
    alone ("Go" is told from "go" by the words after it, which may be past the line). The
    parts' `term_counts` add up to the text's when no part but the last has an `open_end`."""
    if PARAGRAPH not in text or "Go" in text:
        return None
    return text.split(PARAGRAPH)


def counted(text: str, implied: bool = False) -> Counted:
    """`term_counts` of `text`, with whether its end is open (see `Counted`)."""
    found = _runs(text)
    table = _learned(found)
    counts = Counter(map(table.term.__getitem__, found))
    del counts[""]
    open_end = False
    if not table.openers.isdisjoint(found):
        tokens = list(filter(table.kept.__contains__, found))  # the words, as `words` gives
        open_end = not table.openers.isdisjoint(tokens[1 - _LONGEST :])
        free, taken = 0, []
        for at in compress(count(), map(table.openers.__contains__, tokens)):
            if at < free:
                continue
            term, width = _phrase_at([stem(t) for t in tokens[at : at + _LONGEST]], 0)
            if term is None:
                continue
            free = at + width
            for token in tokens[at:free]:
                if table.term[token]:
                    counts[table.term[token]] -= 1
                    taken.append(table.term[token])
            if width > 1 or tokens[at] not in STOP_WORDS:
                counts[term] += 1
        for single in taken:  # the words a phrase took whole
            if counts.get(single, 1) <= 0:
                del counts[single]
    if implied:
        more: Counter[str] = Counter()
        for term in _IMPLIERS.intersection(counts):
            for other in _IMPLIED[term]:
                more[other] += counts[term]
        counts.update(more)
    return Counted(counts, open_end)


def terms(text: str, implied: bool = False) -> list[str]:
    return [term for term, _ in analyze(text, implied)]


# Words that make a goal a sentence, not a topic: dropped from goal queries.
GOAL_FILLERS = frozenset(
    terms(
        "meet meeting find finding look looking get getting connect connecting want new more "
        "someone somebody people person folks other others like know good great local learn "
        "learning explore exploring talk talking chat join"
    )
)
# Words saying what the user wants from people rather than the topic: they count, less.
INTENT_WORDS = frozenset(
    terms("hire hiring recruit recruiting mentor mentors mentoring mentee job jobs career")
)
INTENT_WEIGHT = 0.6
# Words naming a kind of person rather than a topic: they count, but little.
ROLE_WORDS = frozenset(
    terms(
        "developer developers engineer engineers programmer programmers practitioner "
        "practitioners professional professionals expert experts enthusiast enthusiasts "
        "specialist specialists community team"
    )
)
ROLE_WEIGHT = 0.3


TOPIC = 1.0  # the weight of a goal's topic words


def goal_query(text: str) -> dict[str, float]:
    """A goal's terms with their weights: topic words `TOPIC`, intent words ("hire",
    "mentor") `INTENT_WEIGHT`, role words ("developers") `ROLE_WEIGHT`; fillers left out."""
    query: dict[str, float] = {}
    for term, _ in analyze(text):
        if term in INTENT_WORDS:
            query[term] = INTENT_WEIGHT
        elif term in ROLE_WORDS:
            query[term] = ROLE_WEIGHT
        elif term not in GOAL_FILLERS:
            query[term] = TOPIC
    return query


def surfaces(text: str, wanted: set[str], implied: bool = True) -> dict[str, str]:
    """The first surface in `text` of each wanted term, as `text` writes it (for reasons)."""
    found: dict[str, str] = {}
    for term, surface in analyze(text, implied):
        if term in wanted and term not in found:
            found[term] = as_written(text, surface)
    return found


def as_written(text: str, surface: str) -> str:
    """The words of `text` that fold to `surface`: "Machine Learning" for "machine learning"
    in "Machine Learning Meetup"; `surface` itself when they are not found."""
    wanted = surface.split()
    originals, folded = _written(text)
    for at in range(len(folded) - len(wanted) + 1):
        if list(folded[at : at + len(wanted)]) == wanted:
            return " ".join(originals[at : at + len(wanted)])
    return surface


@functools.lru_cache(maxsize=64)
def _written(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The words of `text` as written, and folded."""
    originals = tuple(re.findall(r"[^\W_]+", text))
    return originals, tuple(fold(word) for word in originals)
