"""People's names as events write them: parsed, compared, and found in prose with their role.

A name compares by its keys: folded, umlauts spelled out or not ("Müller" = "Mueller" =
"Muller"), titles ("Dr.", "Prof.") dropped. First names agree when equal, when one is a short
form of the other ("Kat" / "Katrin", from a table or as a prefix), when one is an initial, or
when rapidfuzz finds them nearly equal and they start alike ("Jonathon" / "Jonathan"; "Anna"
is not "Hanna").
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz

from planner.matcher.text import fold

TITLES = frozenset(
    [
        "dr",
        "prof",
        "professor",
        "mr",
        "mrs",
        "ms",
        "mx",
        "miss",
        "sir",
        "dame",
        "phd",
        "md",
        "jr",
        "sr",
        "ii",
        "iii",
        "dipl",
        "ing",
    ]
)
PARTICLES = frozenset(
    [
        "von",
        "van",
        "de",
        "der",
        "den",
        "del",
        "della",
        "da",
        "das",
        "dos",
        "di",
        "du",
        "la",
        "le",
        "ten",
        "ter",
        "zu",
        "af",
        "bin",
    ]
)

# fmt: off
NICKNAMES: tuple[tuple[str, ...], ...] = (
    ("katrin", "kathrin", "katharina", "katherine", "catherine", "kathryn", "katarina", "kat",
     "kate", "kati", "katie", "kathy", "cathy", "katja", "ekaterina", "katya"),
    ("alexander", "alexandra", "alex", "sasha", "sascha", "alexis", "sandra", "sandy"),
    ("robert", "rob", "bob", "bobby", "robbie", "bert"),
    ("william", "will", "bill", "billy", "liam"),
    ("elizabeth", "elisabeth", "liz", "lisa", "beth", "betty", "eliza", "lisbeth", "elsa"),
    ("michael", "mike", "mick", "micha", "michi"), ("thomas", "tom", "tommy", "thom"),
    ("christopher", "christoph", "chris", "kit"), ("christina", "christine", "kristina", "tina"),
    ("daniel", "dan", "danny", "dani"), ("jonathan", "jon", "jonny"),
    ("john", "jon", "johnny", "jack"), ("johannes", "hannes", "johann"),
    ("joseph", "joe", "joey", "josef", "sepp"), ("james", "jim", "jimmy", "jamie"),
    ("richard", "rick", "rich", "dick", "ricky"), ("matthew", "matt", "matthias", "mattes"),
    ("nicholas", "nicolas", "nick", "nico", "niklas", "nikolai", "nikolaus", "klaus"),
    ("benjamin", "ben", "benny"), ("samuel", "samantha", "sam", "sammy"),
    ("andrew", "andreas", "andy", "andi", "drew"), ("anthony", "antonio", "anton", "tony"),
    ("stephen", "steven", "stefan", "stephan", "steve"), ("stefanie", "stephanie", "steffi"),
    ("margaret", "margarete", "maggie", "meg", "peggy", "greta", "gretchen", "margit"),
    ("susan", "susanne", "suzanne", "sue", "susi"), ("jennifer", "jen", "jenny"),
    ("rebecca", "becky", "becca"), ("patricia", "patrick", "pat", "patty", "paddy", "trish"),
    ("edward", "ed", "eddie", "ted", "ned"), ("frederick", "friedrich", "fred", "freddie", "fritz"),
    ("gregory", "gregor", "greg"), ("jacob", "jakob", "jake", "kuba"), ("joshua", "josh"),
    ("kenneth", "ken", "kenny"), ("nathan", "nathaniel", "nate", "nat"), ("peter", "pete", "piet"),
    ("philip", "phillip", "philipp", "phil"), ("timothy", "tim", "timmy", "timo"),
    ("victoria", "vicky", "tori"), ("franziska", "franzi"), ("maximilian", "max", "maxine"),
    ("dominik", "dominic", "dom"), ("sebastian", "basti", "seb"), ("tobias", "tobi", "toby"),
    ("florian", "flo"), ("francisco", "francesco", "francis", "paco", "fran", "franz"),
    ("jose", "pepe"), ("giuseppe", "beppe", "peppe"), ("dmitri", "dmitry", "dima"),
    ("mohammed", "muhammad", "mohamed", "mohammad", "mo"), ("abigail", "abby"),
    ("deborah", "debbie", "deb"), ("eleanor", "eleonore", "ellie", "nora"),
    ("isabella", "isabel", "isabelle", "bella", "izzy"), ("josephine", "josie", "fini"),
    ("gabriel", "gabriele", "gabriela", "gabi", "gabe"), ("raphael", "rafael", "rafa"),
    ("wolfgang", "wolf"), ("guillermo", "memo"), ("alejandro", "ale"),
)

# Frequent family names (folded): such a name alone says little about who is meant.
_COMMON_SURNAMES = """
smith johnson williams brown jones miller davis garcia rodriguez wilson martinez anderson taylor
thomas hernandez moore martin jackson thompson white lopez lee gonzalez harris clark lewis robinson
walker perez hall young allen sanchez wright king scott green baker adams nelson hill campbell
mitchell roberts carter phillips evans turner torres parker collins edwards stewart morris murphy
cook rogers morgan cooper peterson reed bailey bell kelly howard ward cox richardson wood watson
brooks bennett gray james hughes price sanders myers long ross foster
muller mueller schmidt schneider fischer weber meyer meier wagner becker schulz hoffmann schafer
koch bauer richter klein wolf schroder neumann schwarz zimmermann braun kruger hofmann hartmann
lange schmitt werner krause lehmann schmid schulze maier kohler herrmann konig walter huber kaiser
fuchs peters lang scholz moller weiss jung hahn vogel keller gunther frank berger
martin bernard dubois thomas robert richard petit durand leroy moreau simon laurent lefebvre
michel david bertrand roux vincent fournier morel girard andre mercier dupont lambert bonnet
rossi russo ferrari esposito bianchi romano colombo ricci marino greco bruno gallo conti
silva santos ferreira pereira oliveira costa rodrigues martins sousa fernandes goncalves gomes
lopes marques alves almeida ribeiro pinto carvalho teixeira moreira correia
fernandez gomez diaz ruiz alvarez romero navarro dominguez gil vazquez serrano ramos blanco
de jong jansen de vries van dijk bakker visser smit meijer mulder bos vos
nowak kowalski wisniewski wojcik kowalczyk kaminski lewandowski zielinski szymanski
ivanov smirnov kuznetsov popov sokolov petrov novak svoboda novotny dvorak horvath nagy toth
kim park choi jung kang cho yoon jang lim han oh seo shin kwon hwang ahn song
wang li zhang liu chen yang huang zhao wu zhou xu sun ma zhu hu guo he lin luo
nguyen tran le pham hoang phan vu dang bui do ho ngo duong ly
sato suzuki takahashi tanaka watanabe ito yamamoto nakamura kobayashi kato
singh kumar sharma patel shah gupta khan ali ahmed hussain rahman das
yilmaz kaya demir sahin celik yildiz yildirim ozturk aydin ozdemir arslan dogan
cohen levi hansen johansson andersson karlsson nilsson eriksson larsson olsen nielsen jensen
"""
# fmt: on

_GROUPS: dict[str, set[int]] = {}
for _number, _group in enumerate(NICKNAMES):
    for _name in _group:
        _GROUPS.setdefault(_name, set()).add(_number)


_NOT_KEY = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=65536)  # called for every word of every event's prose
def key(word: str) -> str:
    """A name part folded, umlauts as their plain vowel: "Müller", "Mueller" -> "muller"."""
    folded = fold(word).replace("ae", "a").replace("oe", "o").replace("ue", "u")
    return _NOT_KEY.sub("", folded)


COMMON_SURNAMES = frozenset(key(name) for name in _COMMON_SURNAMES.split())


@dataclass(frozen=True)
class Name:
    first: str  # key of the first name ("k" for an initial)
    last: str  # key of the family name
    shown: str  # as written, affiliation left out


_TOKEN = re.compile(r"[^\W\d_][\w'’-]*\.?")
_AFFILIATION = re.compile(
    r"^(?P<name>[^(]+?)\s*(?:\((?P<paren>[^()]+)\)\s*$|(?:,|\s@|\s[|–—-]\s|\sat\s)\s*(?P<rest>.+)$)"
)


def parse_name(text: str) -> tuple[Name | None, str | None]:
    """The name in "Dr. Katrin Müller (Acme)" and what it says beside it ("Acme")."""
    text = " ".join(text.split())
    found = _AFFILIATION.match(text)
    said = None
    if found:
        text, said = found["name"], (found["paren"] or found["rest"] or "").strip() or None
    parts = [t for t in _TOKEN.findall(text) if key(t) not in TITLES and key(t)]
    if len(parts) < 2:
        return None, said
    return Name(key(parts[0]), key(parts[-1]), text.strip()), said


def first_names_agree(a: str, b: str) -> str | None:
    """How two first-name keys agree: "same", "nickname", "initial", "similar", or None."""
    if a == b:
        return "same"
    if len(a) == 1 or len(b) == 1:
        return "initial" if a[0] == b[0] else None
    if _GROUPS.get(a, set()) & _GROUPS.get(b, set()):
        return "nickname"
    shorter, longer = sorted((a, b), key=len)
    if len(shorter) >= 3 and longer.startswith(shorter):
        return "nickname"
    return "similar" if a[0] == b[0] and fuzz.ratio(a, b) >= 85 else None


def is_common(name: Name) -> bool:
    return name.last in COMMON_SURNAMES


# --- names in prose, with the role the sentence gives them ---

_ROLE_WORDS = (
    ("speaker", r"talks? (?:by|from)|speakers?|presented by|presentation by|presenters?|keynote"
     r"(?: by)?|panel(?:ists?)? with|panelists?|panel:|workshop (?:by|with)|led by|session "
     r"(?:by|with)|(?:fireside )?chat with|conversation with|interview with|featuring"),
    ("host", r"hosted by|hosts?:|moderated by|moderators?|emcee|facilitated by|facilitators?"),
    ("organizer", r"organi[sz]ed by|organi[sz]ers?|run by|curated by|coordinated by"),
)  # fmt: skip
_BEFORE = re.compile("|".join(f"(?P<{role}>\\b(?:{words}))" for role, words in _ROLE_WORDS), re.I)
_AFTER = re.compile(
    r"^\s*(?:\([^()]*\)\s*)?(?:will\s+|is\s+)?(?:(?P<speaker>shows|walks|presents|speaks|talks|"
    r"explains|demos|demonstrates|leads|teaches|gives|introduces|shares|presenting|speaking|on)"
    r"|(?P<host>hosts|hosting|moderates)|(?P<organizer>organi[sz]es))\b",
    re.I,
)
_SENTENCE_END = re.compile(
    r"(?<!\bDr)(?<!\bProf)(?<!\bMr)(?<!\bMrs)(?<!\bMs)(?<!\bvs)[.!?](?=\s)|\n"
)
_PAREN_AFTER = re.compile(r"\s*\(([^()]{2,80})\)")
_ADDRESS = re.compile(r"://|@|^www\.")  # a link, handle or email beside a name is no affiliation
LOOKBACK = 80  # characters before a name in which a role word counts


@dataclass(frozen=True)
class Mention:
    name: Name
    said: str | None  # affiliation in parentheses after the name
    role: str  # speaker | host | organizer | mentioned
    start: int
    end: int


def mentions(text: str) -> Iterator[Mention]:
    """Possible names in prose: runs of capitalised words, each window of two or three words."""
    for run in _capital_runs(text):
        for i in range(len(run) - 1):
            for j in (i + 1, i + 2):
                if j < len(run) and key(run[i][0]) not in PARTICLES:
                    yield _mention(text, run, i, j)


def _capital_runs(text: str) -> Iterator[list[tuple[str, int, int]]]:
    """Runs of capitalised words (particles inside allowed) separated by spaces only."""
    run: list[tuple[str, int, int]] = []
    previous_end = 0
    for found in _TOKEN.finditer(text):
        word, part = found.group(), key(found.group())
        adjacent = text[previous_end : found.start()].isspace()
        previous_end = found.end()
        if part in TITLES or not part:
            yield from _long(run)
            run = []
            continue
        if run and adjacent and (word[0].isupper() or part in PARTICLES):
            run.append((word.rstrip("."), found.start(), found.end()))
        else:
            yield from _long(run)
            run = [(word.rstrip("."), found.start(), found.end())] if word[0].isupper() else []
        if word.endswith(".") and len(part) > 1:  # a sentence ends here
            yield from _long(run)
            run = []
    yield from _long(run)


def _long(run: list[tuple[str, int, int]]) -> Iterator[list[tuple[str, int, int]]]:
    if len(run) >= 2:
        yield run


def _mention(text: str, run: list[tuple[str, int, int]], i: int, j: int) -> Mention:
    start, end = run[i][1], run[j][2]
    paren = _PAREN_AFTER.match(text, end) if j == len(run) - 1 else None
    said = paren.group(1).strip() if paren and not _ADDRESS.search(paren.group(1)) else None
    name = Name(key(run[i][0]), key(run[j][0]), text[start:end].rstrip("."))
    return Mention(name, said, role_at(text, start, end), start, end)


def role_at(text: str, start: int, end: int) -> str:
    """The role the sentence around text[start:end] gives: the nearest role word before it in
    the same sentence, else a verb right after it; "mentioned" when neither."""
    before = text[max(0, start - LOOKBACK) : start]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    found = list(_BEFORE.finditer(before))
    if found:
        return str(found[-1].lastgroup)
    after = _AFTER.match(text[end : end + 60])
    return str(after.lastgroup) if after and after.lastgroup else "mentioned"


def sentence_at(text: str, start: int, end: int, width: int = 160) -> str:
    """The sentence around text[start:end]; a long one cut to about `width` characters around
    it, at word boundaries, the cuts marked "…"."""
    ends = list(_SENTENCE_END.finditer(text, 0, start))
    lo = ends[-1].end() if ends else 0
    stop = _SENTENCE_END.search(text, end)
    hi = stop.end() if stop else len(text)
    if hi - lo > width:
        room = max(0, width - (end - start)) // 2
        cut_lo, cut_hi = max(lo, start - room), min(hi, end + room)
        if cut_lo > lo:
            cut_lo = text.find(" ", cut_lo, start) + 1 or cut_lo
        if cut_hi < hi:
            cut_hi = text.rfind(" ", end, cut_hi) if text.rfind(" ", end, cut_hi) > 0 else cut_hi
        snippet = " ".join(text[cut_lo:cut_hi].split())
        return ("…" if cut_lo > lo else "") + snippet + ("…" if cut_hi < hi else "")
    return " ".join(text[lo:hi].split())
