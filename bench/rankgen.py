"""Deterministic, realistic inputs for bench/rank.py: a year of events in 50 cities, one user.

`generate(events, contacts, seed, now)` gives a `World`: the events (series of talk meetups,
hack nights, workshops, webinars, conferences and a few non-tech clubs, each in its city's
time zone; some online or hybrid, cancelled, postponed, gone, without a located venue, or listed
twice by two sources), the user's contacts (names, companies, titles, a few hand-made tags,
cities with coordinates; a few of them speak at events), their profile at home in Berlin, five
goals, a trip and a little feedback. Same seed, same world: both the matcher's child process and
the baseline's draw it again rather than pass it around.
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from planner.matcher import Contact, Event, Feedback, Goal, Person, Profile, Trip

WINDOW_DAYS = 365
# fmt: off
# (city, lat, lon, time zone, share of the events)
CITIES = [
    ("Berlin", 52.520, 13.405, "Europe/Berlin", 8),
    ("London", 51.507, -0.128, "Europe/London", 8),
    ("Paris", 48.857, 2.352, "Europe/Paris", 6),
    ("Amsterdam", 52.370, 4.895, "Europe/Amsterdam", 4),
    ("München", 48.137, 11.575, "Europe/Berlin", 4),
    ("Hamburg", 53.551, 9.994, "Europe/Berlin", 3),
    ("Köln", 50.938, 6.960, "Europe/Berlin", 2),
    ("Frankfurt am Main", 50.110, 8.682, "Europe/Berlin", 2),
    ("Stuttgart", 48.776, 9.183, "Europe/Berlin", 1),
    ("Leipzig", 51.340, 12.375, "Europe/Berlin", 1),
    ("Dresden", 51.050, 13.738, "Europe/Berlin", 1),
    ("Potsdam", 52.391, 13.066, "Europe/Berlin", 1),
    ("Wien", 48.208, 16.373, "Europe/Vienna", 3),
    ("Zürich", 47.377, 8.541, "Europe/Zurich", 2),
    ("Basel", 47.560, 7.589, "Europe/Zurich", 1),
    ("Bruxelles", 50.850, 4.352, "Europe/Brussels", 2),
    ("Rotterdam", 51.924, 4.478, "Europe/Amsterdam", 1),
    ("Lyon", 45.764, 4.836, "Europe/Paris", 1),
    ("Toulouse", 43.605, 1.444, "Europe/Paris", 1),
    ("Manchester", 53.481, -2.242, "Europe/London", 2),
    ("Edinburgh", 55.953, -3.188, "Europe/London", 1),
    ("Dublin", 53.350, -6.260, "Europe/Dublin", 2),
    ("København", 55.676, 12.568, "Europe/Copenhagen", 2),
    ("Stockholm", 59.329, 18.069, "Europe/Stockholm", 2),
    ("Göteborg", 57.709, 11.975, "Europe/Stockholm", 1),
    ("Oslo", 59.914, 10.752, "Europe/Oslo", 1),
    ("Helsinki", 60.170, 24.938, "Europe/Helsinki", 1),
    ("Tallinn", 59.437, 24.754, "Europe/Tallinn", 1),
    ("Warszawa", 52.230, 21.012, "Europe/Warsaw", 2),
    ("Kraków", 50.065, 19.945, "Europe/Warsaw", 1),
    ("Wrocław", 51.108, 17.039, "Europe/Warsaw", 1),
    ("Praha", 50.076, 14.438, "Europe/Prague", 2),
    ("Budapest", 47.498, 19.040, "Europe/Budapest", 1),
    ("Ljubljana", 46.057, 14.506, "Europe/Ljubljana", 1),
    ("Zagreb", 45.815, 15.982, "Europe/Zagreb", 1),
    ("Bucureşti", 44.427, 26.103, "Europe/Bucharest", 1),
    ("Athína", 37.984, 23.728, "Europe/Athens", 1),
    ("Milano", 45.464, 9.190, "Europe/Rome", 2),
    ("Roma", 41.903, 12.496, "Europe/Rome", 1),
    ("Madrid", 40.417, -3.704, "Europe/Madrid", 2),
    ("Barcelona", 41.385, 2.173, "Europe/Madrid", 2),
    ("València", 39.470, -0.376, "Europe/Madrid", 1),
    ("Lisboa", 38.722, -9.139, "Europe/Lisbon", 2),
    ("Porto", 41.158, -8.629, "Europe/Lisbon", 1),
    ("New York", 40.713, -74.006, "America/New_York", 4),
    ("San Francisco", 37.775, -122.419, "America/Los_Angeles", 3),
    ("Toronto", 43.653, -79.383, "America/Toronto", 2),
    ("Bengaluru", 12.972, 77.595, "Asia/Kolkata", 2),
    ("Singapore", 1.352, 103.820, "Asia/Singapore", 1),
    ("Tokyo", 35.676, 139.650, "Asia/Tokyo", 1),
]
# topic: (group name stems, categories, tools, subjects)
TOPICS = {
    "python": (["Python", "PyData", "PyLadies", "Django"], ["Python", "Programming"],
               ["Django", "FastAPI", "pandas", "Polars", "asyncio", "pytest", "Pydantic"],
               ["type hints", "packaging", "async code", "performance", "testing"]),
    "rust": (["Rust", "Rustaceans"], ["Rust", "Systems Programming"],
             ["Tokio", "Axum", "Bevy", "Embassy", "WebAssembly"],
             ["ownership", "async Rust", "embedded systems", "unsafe code",
              "zero-cost abstractions"]),
    "go": (["Go", "Gophers"], ["Go", "Backend"], ["gRPC", "Go generics", "Cobra", "pprof"],
           ["microservices", "concurrency", "backend services"]),
    "javascript": (["JavaScript", "React", "Vue.js", "Frontend"], ["JavaScript", "Web"],
                   ["React", "Vue", "Svelte", "Next.js", "Node.js", "TypeScript", "Deno"],
                   ["frontend performance", "state management", "web components", "bundlers"]),
    "data": (["Data Engineering", "Data Council", "dbt", "Airflow"], ["Data", "Data Engineering"],
             ["Airflow", "dbt", "Dagster", "Kafka", "Spark", "DuckDB", "Apache Iceberg", "Flink"],
             ["data pipelines", "data quality", "ETL", "the modern data stack", "data contracts"]),
    "ml": (["Machine Learning", "MLOps", "AI"], ["Machine Learning", "AI"],
           ["PyTorch", "scikit-learn", "JAX", "MLflow", "Ray"],
           ["feature stores", "model monitoring", "computer vision", "recommender systems"]),
    "llm": (["GenAI", "LLM", "AI Builders", "LangChain"], ["AI", "Generative AI"],
            ["LangChain", "LlamaIndex", "vLLM", "Ollama", "open-weight models", "pgvector"],
            ["retrieval augmented generation", "LLM evaluation", "prompt engineering",
             "AI agents", "fine-tuning", "guardrails", "evals for RAG"]),
    "devops": (["DevOps", "Kubernetes", "Cloud Native", "SRE"], ["DevOps", "Cloud"],
               ["Kubernetes", "Terraform", "Argo CD", "Prometheus", "OpenTelemetry", "Helm"],
               ["platform engineering", "observability", "incident response", "GitOps"]),
    "security": (["OWASP", "Security", "BSides"], ["Security"],
                 ["Burp Suite", "Semgrep", "Sigstore", "WireGuard"],
                 ["threat modeling", "SBOMs", "zero trust", "penetration testing", "CTF"]),
    "databases": (["Postgres", "Database", "PostgreSQL"], ["Databases"],
                  ["PostgreSQL", "SQLite", "ClickHouse", "Redis", "MongoDB", "PostGIS"],
                  ["query planning", "replication", "indexing", "schema migrations"]),
    "ux": (["UX", "Design", "UX Research"], ["Design", "UX"],
           ["Figma", "design tokens", "Storybook"],
           ["design systems", "user research", "accessibility", "usability testing"]),
    "product": (["ProductTank", "Product Management", "Product"], ["Product Management"],
                ["Amplitude", "Jira", "Productboard"],
                ["product discovery", "roadmaps", "OKRs", "pricing", "experimentation"]),
    "startups": (["Founders", "Startup Grind", "Startups"], ["Startups", "Entrepreneurship"],
                 ["pitch decks", "SAFE notes", "cap tables"],
                 ["fundraising", "go-to-market", "first hires", "bootstrapping", "seed rounds"]),
    "investors": (["Angels", "VC", "Investors"], ["Investors", "Venture Capital"],
                  ["term sheets", "cap tables", "SPVs"],
                  ["venture capital", "angel investing", "seed funding", "due diligence"]),
    "climate": (["Climate Tech", "ClimateAction", "Green Tech"], ["Climate Tech", "Sustainability"],
                ["heat pumps", "battery storage", "carbon accounting tools", "Electricity Maps"],
                ["decarbonisation", "energy storage", "green software", "grid flexibility",
                 "the circular economy"]),
    "opensource": (["Open Source", "FOSS", "OSS"], ["Open Source"],
                   ["GitHub Sponsors", "Open Collective", "REUSE"],
                   ["maintainer burnout", "funding open source", "licensing",
                    "community building"]),
    "mobile": (["Mobile", "iOS", "Android", "Flutter"], ["Mobile"],
               ["Swift", "SwiftUI", "Jetpack Compose", "Flutter", "React Native"],
               ["app performance", "offline-first apps", "mobile CI"]),
    "jvm": (["Java", "Kotlin", "JUG"], ["Java", "Kotlin"],
            ["Spring Boot", "Quarkus", "GraalVM", "Kotlin coroutines"],
            ["virtual threads", "the JVM", "reactive systems"]),
    "fp": (["Functional Programming", "Haskell", "Elixir", "Clojure"], ["Functional Programming"],
           ["Haskell", "Elixir", "OCaml", "Clojure", "Scala", "Phoenix LiveView"],
           ["type systems", "effects", "property-based testing", "the BEAM"]),
    "hardware": (["Hardware Hackers", "IoT", "Maker"], ["Hardware", "IoT"],
                 ["Arduino", "ESP32", "Raspberry Pi", "KiCad", "3D printing"],
                 ["robotics", "home automation", "sensors", "PCB design"]),
    "gamedev": (["Game Dev", "Indie Games", "Godot"], ["Game Development"],
                ["Godot", "Unity", "Unreal Engine", "Blender"],
                ["game jams", "pixel art", "procedural generation", "game design"]),
    "fintech": (["Fintech", "Payments"], ["Fintech"], ["open banking APIs", "Stripe", "ISO 20022"],
                ["payments", "fraud detection", "PSD2", "regulation"]),
    "careers": (["Women in Tech", "Tech Careers", "Engineering Leaders"], ["Career", "Diversity"],
                ["career ladders", "1:1s", "interview loops"],
                ["mentoring", "career changers", "inclusive hiring", "engineering management"]),
    "civic": (["Code for", "Open Data", "Civic Tech"], ["Civic Tech", "Open Data"],
              ["CKAN", "OpenStreetMap", "GTFS"],
              ["open data", "digital government", "public transport data", "participation"]),
    "health": (["Digital Health", "Bioinformatics"], ["Health", "Science"],
               ["FHIR", "Nextflow", "AlphaFold"],
               ["genomics", "medical imaging", "clinical data", "lab automation"]),
    "running": (["Running Club", "Runners"], ["Sports", "Running"], ["intervals", "trail shoes"],
                ["a 5k", "the long run", "trail running", "marathon training"]),
    "boardgames": (["Board Game Night", "Spieleabend"], ["Games", "Social"],
                   ["Wingspan", "Catan", "Azul", "Terraforming Mars"],
                   ["strategy games", "cooperative games", "new releases"]),
    "photo": (["Photo Walk", "Street Photography"], ["Photography", "Arts"],
              ["film cameras", "Lightroom", "35mm"],
              ["street photography", "portraits", "night photography"]),
    "language": (["Language Exchange", "Sprachcafé"], ["Languages", "Social"],
                 ["tandem partners", "conversation tables"],
                 ["German", "Spanish", "French", "Italian"]),
}
KINDS = (  # (kind, share of series, days between, title pattern)
    ("talks", 0.42, (28, 28, 14), "{group}: {talk}"),
    ("hack", 0.22, (7, 14), "{group} {format}"),
    ("workshop", 0.10, (28, 56), "Workshop: {talk}"),
    ("webinar", 0.12, (14, 28), "Webinar: {talk}"),
    ("conference", 0.04, (365,), "{group} Conference {year}"),
    ("club", 0.10, (7,), "{group}"),
)
FORMATS = ["Hack & Learn", "Co-working Night", "Study Group", "Stammtisch", "Coding Dojo",
           "Office Hours", "Show & Tell", "Reading Group", "Lightning Talks"]
TALKS = [
    "Lessons learned running {tool} in production", "{tool} at {company}: a case study",
    "Testing {subject} without tears", "From zero to {tool} in one afternoon",
    "What's new in {tool}", "Scaling {subject} with {tool}", "{tool} internals, explained",
    "Migrating from {tool} to {tool2}", "A practical guide to {subject}",
    "{subject}: what we got wrong", "Five patterns for {subject}", "Beyond the hype: {subject}",
    "How {company} does {subject}", "Getting started with {tool}", "{subject} in 2026",
]
ABSTRACTS = [
    "In this talk, {first} shares how the team at {company} approached {subject} using {tool}.",
    "We will look at {subject}, the usual pitfalls, and what finally worked for us.",
    "Expect live demos, honest numbers and plenty of time for questions.",
    "The talk assumes some familiarity with {tool}, but newcomers are welcome.",
    "{first} has spent the last years working on {subject} and maintains several {tool} plugins.",
    "Bring your own war stories about {subject}: the second half is an open discussion.",
]
BLURBS = [
    "We are a friendly community for everyone interested in {topic} in {city}.",
    "Beginners and experts alike are welcome, and so are questions.",
    "Doors open at {doors}, the program starts half an hour later.",
    "Food and drinks are kindly sponsored by {company}.",
    "Please follow our code of conduct; be kind and assume good intent.",
    "The venue is wheelchair accessible. Talks are in English.",
    "Want to give a talk? Send us a short abstract, first-time speakers are very welcome.",
    "Spots are limited, please free yours if you cannot make it.",
    "We meet regularly to talk about {topic}, share what we build and help each other out.",
]
# the long tail of words real descriptions have: plain words, then made-up project names
_NOUNS = """
approach architecture benchmark budget bug cache case checklist cluster codebase community
compiler contract cost customer dashboard dataset deadline debugging demo deployment design
developer documentation edge experiment failure feature feedback framework funding growth
guide habit hardware incident insight interface journey latency lesson library license
maintenance market memory metric migration mistake model monitoring network newsletter
notebook onboarding outage paper partner pattern performance pipeline plan platform
playground plugin pricing principle process product production profile prototype query
question recipe refactoring regression release report request research review risk roadmap
rollout runtime sandbox scale schema security server service sketch standard startup story
strategy stream study survey system team template test thread tool tradeoff training
transition trick tutorial upgrade user version vision workflow workload workshop
"""
NOUNS = _NOUNS.split()
_ADJECTIVES = """
accessible affordable ambitious asynchronous automated boring brittle careful cheap clever
cloud-native collaborative common complex concurrent cost-effective curious declarative
distributed early efficient elegant embedded empirical experimental fast flexible fragile
friendly fun gradual hands-on honest hybrid incremental independent interactive lean legacy
lightweight live local long-term low-level lucky maintainable manual messy minimal modern
modular multilingual naive noisy observable offline open painful pragmatic predictable
private public quick real-world reliable remote resilient reusable robust safe scalable
secure serverless simple slow small stable stateful stateless sustainable tiny typed
unexpected unusual useful verbose
"""
ADJECTIVES = _ADJECTIVES.split()
_VERBS = """
accelerates analyses automates builds caches checks cleans collects compiles connects
debugs deploys describes detects documents explains exports fixes generates handles imports
indexes inspects measures merges migrates models monitors normalises optimises orchestrates
packages parses predicts profiles publishes queries ranks reduces replaces replays reports
routes samples scales schedules secures serves simplifies simulates splits streams tests
tracks trains transforms translates tunes validates visualises
"""
VERBS = _VERBS.split()
_STARTS = """ka lu mo quil nim ve tor bra zen fla ori pex dra sol vin cor ty ul mar gel hal jun
kro lym nox par rho sen tav vek wyn xal yor zir bel cin dov ery fen"""
_MIDDLES = """stack flow bit wave grid mesh forge loop base kit vault lane spark dock hive frame
port path cast line node pulse scope shift sync beam core deck field gate hub link map pad ring
seed tide works"""
SYLLABLES = (
    _STARTS.split(),
    _MIDDLES.split(),
    ["", "", "", "ly", "io", "ra", "ex", "on", "a", "ify", "er", "ix"],
)
FREE = [
    "{Name}: the {adj} {noun} for {noun2} that {verb} {noun3} with {Name2}.",
    "We compare {Name} and {Name2} on {adj} {noun} workloads and share the {noun2} we got.",
    "Expect {adj} {noun}s, a few {adj2} {noun2}s and {n} slides about {Name}.",
    "The {noun} behind {Name} {verb} every {noun2} in {n} milliseconds, most days.",
    "Along the way: why our {adj} {noun} broke, and how {Name} {verb} the {noun2} now.",
]
LOCAL = {
    "Europe/Berlin": "Wir freuen uns auf euch! Die Vorträge sind auf Englisch, Fragen gerne auch "
    "auf Deutsch. Bitte meldet euch an, damit wir genug Getränke und Snacks haben.",
    "Europe/Vienna": "Wir freuen uns auf euch! Eintritt frei, Spenden für die Location sind "
    "willkommen.",
    "Europe/Zurich": "Der Anlass ist kostenlos. Apéro nach den Vorträgen, offeriert vom Gastgeber.",
    "Europe/Paris": "Nous vous attendons nombreux ! Les présentations sont en anglais, les "
    "questions en français sont les bienvenues. Un apéritif suivra.",
    "Europe/Madrid": "¡Os esperamos! Las charlas serán en inglés y habrá algo de picar al final.",
}
FIRST = [
    "Anna", "Jonas", "Leonie", "Mehmet", "Sofia", "Lukas", "Priya", "Björn", "Zeynep", "Matthias",
    "Chloé", "Oleksandr", "Yuki", "Fatima", "Jürgen", "Marta", "Kwame", "Ingrid", "Tomás", "Hannah",
    "Katrin", "Alexander", "Julia", "Felix", "Laura", "David", "Sarah", "Emma", "Noah", "Lars",
    "Mateo", "Valentina", "Raphaël", "Inês", "João", "Siobhán", "Kateřina", "Arjun", "Wei",
    "Hiroshi", "Olumide", "Chiamaka", "Mohammed", "Ewa", "Łukasz", "Søren", "Zsófia", "Aino",
    "Camille", "Charlotte", "Ben", "Mira", "Rahul", "Sanjana", "Ali", "Leyla", "Nikola", "Jelena",
    "Tobias", "Franziska", "Maximilian", "Sebastian", "Florian", "Stefanie", "Christina", "Daniel",
    "Michael", "Thomas", "Andrea", "Elena", "Ivan", "Olga", "Pedro", "Lucía", "Giulia", "Marco",
    "Hanna", "Erik", "Astrid", "Sven", "Kai", "Nora", "Lea", "Paul", "Clara", "Jan", "Eva",
]
LAST = [
    "Müller", "Schmidt", "Yılmaz", "Nowak", "Kowalski", "Fischer", "Weber", "Nguyen", "Rossi",
    "Becker", "Hoffmann", "Schäfer", "Okafor", "Lindqvist", "Petrović", "García", "Wagner", "Koch",
    "Schröder", "Núñez", "Wiśniewska", "Ødegaard", "Dvořák", "O'Brien", "van der Berg", "Chen",
    "Tanaka", "Haddad", "Ivanova", "Jääskeläinen", "Kovačević", "Papadopoulos", "Öztürk", "Dubois",
    "Lefèvre", "Horváth", "Weiß", "Krüger", "Mensah", "Patel", "Sharma", "Kim", "Castellanos",
    "Zimmermann", "Bauer", "Richter", "Klein", "Jónsdóttir", "Costa", "Silva", "Moreau", "Andersen",
    "Nielsen", "Virtanen", "Korhonen", "Brown", "Taylor", "Lee", "Meyer", "Hartmann", "Brandt",
    "Vogt", "Engel", "Seidel", "Kuhn", "Lorenz", "Ziegler", "Pohl", "Winkler", "Albrecht",
    "Sommer", "Graf", "Franke", "Ebert", "Busch", "Hahn", "Lindner", "Haas", "Bergmann", "Jäger",
    "Roth", "Beck", "Lang", "Adeyemi", "Banerjee", "Takahashi", "Moretti", "Ferreira", "Novák",
    "Eriksson", "Laine", "Kaya", "Aydın", "Sato", "Rahman", "Kumar", "Santos", "Dimitrov",
]
# family names made of a root and an ending: "Lindqvist", "Novaková", "Hartmann", "Petrescu"
_ROOTS = """Lind Berg Holm Stein Wald Roth Kar Nov Petr Mart Hart Brand Feld Sand Rosen Dahl Eng
Falk Hol Kov Mar Jan Bal Dan Gust Hag Kir Lor Mor Nik Pav Ras Sor Tom Vas Wer Zel Bor Grab Lew"""
_ENDS = """mann berg ström qvist ová ski ović sen son er ez ini escu ides oglu enko ak ek as us ing
hof"""
ROOTS, ENDS = _ROOTS.split(), _ENDS.split()
COMPANIES = [
    "Zalando", "N26", "Delivery Hero", "SoundCloud", "Ecosia", "HelloFresh", "Trade Republic",
    "Contentful", "GetYourGuide", "Personio", "SAP", "Ableton", "Babbel", "Raisin", "Celonis",
    "Spotify", "Klarna", "Mistral AI", "Hugging Face", "Datadog", "Booking.com", "Adyen", "Wolt",
    "Grafana Labs", "Mozilla", "Red Hat", "Canonical", "JetBrains", "Aleph Alpha", "DeepL",
    "Spreewerk Energy", "Kiezkraft", "Nordlicht Analytics", "Helix Robotics", "Fjord Labs",
    "Atlas Ventures", "Lumen Climate", "Vektor Data", "Mosaik Health", "Tessel Payments",
]
TITLES = [
    "Software Engineer", "Senior Software Engineer", "Senior Data Scientist", "Head of Product",
    "CTO & Co-Founder", "Product Manager", "Founder", "Engineering Manager", "Staff Engineer",
    "UX Researcher", "Recruiter", "Partner", "Investment Manager", "Data Engineer",
    "Machine Learning Engineer", "Developer Advocate", "PhD Candidate", "Site Reliability Engineer",
    "Chief Executive Officer", "Frontend Developer", "Designer", "Consultant", "Backend Developer",
    "Rust Developer", "Security Engineer", "Analytics Engineer", "Climate Tech Investor",
]
TAGS = ["Rust", "data engineering", "Climate Tech", "Investors", "PyData", "LLMs", "Open Source",
        "Mentors", "design", "Kubernetes", "hiring"]
GOALS = [
    ("Meet data engineers who work with Airflow or dbt", 1),
    ("Learn about LLM evaluation and retrieval augmented generation", 1),
    ("Hire Rust developers", 2),
    ("Meet investors for our seed round", 2),
    ("Get into climate tech and green software", 3),
]
# fmt: on


@dataclass
class World:
    events: list[Event]
    contacts: list[Contact]
    profile: Profile
    goals: list[Goal]
    trips: list[Trip]
    feedback: list[Feedback]
    series: int = 0
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Series:
    number: int
    city: int
    topic: str
    kind: str
    group: str
    every: int
    first: datetime  # local wall clock of the first occurrence, aware
    hours: float
    venue: tuple[str, float, float] | None
    organizers: tuple[str, ...]
    blurb: str
    extra: str
    sources: tuple[str, ...]


class _Draw:
    """One seeded random source and the speakers of each city."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.speakers: list[list[tuple[str, str, str | None]]] = [[] for _ in CITIES]

    def name(self, common: float = 0.25) -> str:
        """A full name; the family name from `LAST` with chance `common`, else made up, so
        that two people share a name about as rarely as in life."""
        rng = self.rng
        last = rng.choice(LAST) if rng.random() < common else rng.choice(ROOTS) + rng.choice(ENDS)
        return f"{rng.choice(FIRST)} {last}"

    def project(self) -> str:
        """A made-up project name, the common ones often, the rare ones rarely."""
        first, second, third = SYLLABLES
        n = int(len(first) * len(second) * len(third) * self.rng.random() ** 2.5)
        n, a = divmod(n, len(first))
        c, b = divmod(n, len(second))
        return (first[a] + second[b] + third[c]).capitalize()

    def free(self) -> str:
        rng = self.rng
        return rng.choice(FREE).format(
            Name=self.project(), Name2=self.project(), n=rng.randrange(2, 90),
            adj=rng.choice(ADJECTIVES), adj2=rng.choice(ADJECTIVES), verb=rng.choice(VERBS),
            noun=rng.choice(NOUNS), noun2=rng.choice(NOUNS), noun3=rng.choice(NOUNS),
        )  # fmt: skip

    def speaker(self, city: int) -> tuple[str, str, str | None]:
        """(name, company, profile URL) from the city's pool, which grows as talks are given."""
        pool = self.speakers[city]
        if len(pool) > 30 and self.rng.random() < 0.7:
            return self.rng.choice(pool)
        name = self.name()
        user = slug(name.split()[0]) + str(self.rng.randrange(10, 999))
        url = f"https://github.com/{user}" if self.rng.random() < 0.3 else None
        pool.append((name, self.rng.choice(COMPANIES), url))
        return pool[-1]


def slug(word: str) -> str:
    """An ASCII name for a URL: "Łukasz" -> "lukasz", "Rust Köln" -> "rustkoln"."""
    folded = unicodedata.normalize("NFKD", word.lower().replace("ł", "l").replace("ø", "o"))
    return "".join(c for c in folded if c.isascii() and c.isalnum())


def generate(count: int, contacts: int, seed: int, now: datetime) -> World:
    draw = _Draw(seed, now)
    people = draw_contacts(draw, contacts)
    events: list[Event] = []
    series = 0
    weights = [c[4] for c in CITIES]
    while len(events) < count:
        spec = draw_series(draw, series, draw.rng.choices(range(len(CITIES)), weights)[0])
        events.extend(occurrences(draw, spec, len(events) + 1))
        series += 1
    events = events[:count]
    home = CITIES[0]
    profile = Profile(
        home_lat=52.5296, home_lon=13.4019, radius_km=25, timezone=home[3], events_per_week=2
    )
    goals = [Goal(n + 1, text, priority) for n, (text, priority) in enumerate(GOALS)]
    trip_day = now.date() + timedelta(days=40)
    trips = [Trip("München", trip_day, trip_day + timedelta(days=3), 48.137, 11.575)]
    world = World(events, people, profile, goals, trips, [], series, describe(events))
    world.feedback = draw_feedback(draw, world)
    return world


def describe(events: list[Event]) -> dict[str, int]:
    """Counts that say what kind of events were drawn."""
    return {
        "in_berlin": sum(1 for e in events if e.address == "Berlin"),
        "online": sum(1 for e in events if e.attendance == "online"),
        "hybrid": sum(1 for e in events if e.attendance == "hybrid"),
        "all_day": sum(1 for e in events if e.all_day),
        "venue_not_located": sum(1 for e in events if e.attendance != "online" and e.lat is None),
        "cancelled_or_postponed": sum(1 for e in events if e.status != "scheduled"),
        "gone": sum(1 for e in events if e.gone_at is not None),
        "second_listings": sum(1 for e in events if e.sources == ("eventbrite",)),
        "time_zones": len({e.timezone for e in events}),
        "distinct_descriptions": len({e.description for e in events}),
        "mean_description_chars": round(
            sum(len(e.description or "") for e in events) / len(events)
        ),
    }


def draw_series(draw: _Draw, number: int, city: int) -> _Series:
    rng = draw.rng
    name, lat, lon, tz, _ = CITIES[city]
    topic = rng.choice(list(TOPICS)[:-4]) if rng.random() < 0.9 else rng.choice(list(TOPICS)[-4:])
    stems = TOPICS[topic][0]
    kind = rng.choices([k[0] for k in KINDS], [k[1] for k in KINDS])[0]
    if topic in ("running", "boardgames", "photo", "language"):
        kind = "club"
    every = rng.choice(next(k[2] for k in KINDS if k[0] == kind))
    group = rng.choice((f"{rng.choice(stems)} {name}", f"{name} {rng.choice(stems)} Meetup"))
    day = draw.now.date() + timedelta(days=rng.randrange(min(every, 60)))
    if kind in ("conference", "workshop"):
        while day.weekday() == 6:
            day += timedelta(days=1)
    else:
        day += timedelta(days=(rng.choice((0, 1, 2, 3)) - day.weekday()) % 7)  # Mon-Thu
    clock = {"conference": 9, "workshop": 10, "club": rng.choice((8, 10, 19))}.get(kind, 18)
    minute = rng.choice((0, 30))
    first = datetime(day.year, day.month, day.day, clock, minute, tzinfo=ZoneInfo(tz))
    hours = {"conference": 8.0, "workshop": 4.0, "webinar": 1.0}.get(kind, 2.5)
    venue = None
    if kind != "webinar" and rng.random() > 0.03:
        host = rng.choice(COMPANIES)
        spot = (lat + rng.gauss(0, 0.04), lon + rng.gauss(0, 0.06))
        venue = (f"{host} {name}" if rng.random() < 0.5 else f"Impact Hub {name}", *spot)
    organizers = (group,) + ((draw.name(),) if rng.random() < 0.4 else ())
    blurb = " ".join(
        rng.sample(BLURBS, 4)
    ).format(topic=rng.choice(TOPICS[topic][3]), city=name, doors=f"{clock}:{minute:02d}",
             company=rng.choice(COMPANIES))  # fmt: skip
    sources = (rng.choice(("meetup.com", "luma", "city calendar", "mobilizon")),)
    extra = series_extra(draw, name, tz, group, venue[0] if venue else None)
    return _Series(
        number, city, topic, kind, group, every, first, hours, venue, organizers, blurb, extra,
        sources,
    )  # fmt: skip


def occurrences(draw: _Draw, spec: _Series, next_id: int) -> list[Event]:
    rng, found = draw.rng, []
    end = draw.now + timedelta(days=WINDOW_DAYS)
    for n in range(WINDOW_DAYS // spec.every + 1):
        local = spec.first + timedelta(days=n * spec.every)
        if local > end:
            break
        title, description, people = content(draw, spec, local)
        event = make_event(draw, spec, next_id + len(found), n, local, title, description, people)
        found.append(event)
        if rng.random() < 0.015:  # listed a second time by another source
            found.append(
                Event(**{**event.__dict__, "id": next_id + len(found), "sources": ("eventbrite",)})
            )
    return found


def content(draw: _Draw, spec: _Series, local: datetime) -> tuple[str, str, tuple[Person, ...]]:
    """Title, description and people of one occurrence: talks and workshops differ each time,
    hack nights and clubs repeat theirs."""
    rng = draw.rng
    name = CITIES[spec.city][0]
    _, categories, tools, subjects = TOPICS[spec.topic]
    if spec.kind in ("hack", "club"):  # the same words every time, as a recurring VEVENT
        title = KINDS_TITLE[spec.kind].format(
            group=spec.group, format=FORMATS[spec.number % len(FORMATS)], city=name
        )
        return title, "\n\n".join((spec.blurb, spec.extra)), ()
    count = {"conference": rng.randrange(5, 12), "talks": rng.choice((1, 2, 2, 3))}.get(
        spec.kind, 1
    )
    speakers = [draw.speaker(spec.city) for _ in range(count)]
    parts, headings = [spec.blurb], []
    for speaker, company, _ in speakers:
        tool, tool2 = rng.sample(tools, 2)
        words = {"tool": tool, "tool2": tool2, "subject": rng.choice(subjects)}
        headings.append(rng.choice(TALKS).format(company=company, **words))
        abstract = " ".join(rng.sample(ABSTRACTS, 2)).format(
            first=speaker.split()[0], company=company, **words
        )
        free = " ".join(draw.free() for _ in range(rng.choice((1, 2, 2, 3))))
        parts.append(f"{headings[-1]}: talk by {speaker} ({company}). {abstract} {free}")
    if rng.random() < 0.5:
        until = (local + timedelta(hours=spec.hours)).strftime("%H:%M")
        parts.append(
            f"Agenda: {local:%H:%M} doors open · talks half an hour later · networking until "
            f"{until}."
        )
    parts.append(spec.extra)
    title = KINDS_TITLE[spec.kind].format(group=spec.group, talk=headings[0], year=local.year)
    role = "instructor" if spec.kind == "workshop" else "speaker"
    people = tuple(Person(s, role, url) for s, _, url in speakers)
    return title, "\n\n".join(parts), people


def series_extra(draw: _Draw, name: str, tz: str, group: str, venue: str | None) -> str:
    """What a series adds below each description: directions, links, the local language."""
    rng, lines = draw.rng, []
    if venue:
        lines.append(
            f"How to get there: {venue}, {rng.randrange(2, 12)} minutes on foot from the "
            f"nearest station; ring at the gate, {rng.choice(('ground', '2nd', '3rd', '5th'))} "
            f"floor."
        )
    handle = slug(group)
    if rng.random() < 0.6:
        lines.append(
            f"Join the chat: https://discord.gg/{handle}{rng.randrange(10, 99)} · "
            f"slides and recordings: https://github.com/{handle}/talks"
        )
    if tz in LOCAL and rng.random() < 0.5:
        lines.append(LOCAL[tz])
    lines.append(draw.free())
    return "\n".join(lines)


KINDS_TITLE = {kind: pattern for kind, _, _, pattern in KINDS}


def make_event(
    draw: _Draw,
    spec: _Series,
    number: int,
    n: int,
    local: datetime,
    title: str,
    description: str,
    people: tuple[Person, ...],
) -> Event:
    rng = draw.rng
    start = local.astimezone(UTC)
    all_day = spec.kind == "conference" and rng.random() < 0.5
    if all_day:
        start = datetime(local.year, local.month, local.day, tzinfo=UTC)
        end = start + timedelta(days=rng.choice((1, 2, 3)))
    else:
        end = start + timedelta(hours=spec.hours)
    attendance = "online" if spec.venue is None and spec.kind == "webinar" else "in_person"
    if attendance == "in_person" and rng.random() < 0.07:
        attendance = "hybrid"
    status = "scheduled"
    roll = rng.random()
    if roll < 0.02:
        status = "cancelled"
    elif roll < 0.025:
        status = "postponed"
    return Event(
        id=number,
        title=title,
        start=start,
        end=end,
        all_day=all_day,
        timezone=CITIES[spec.city][3],
        description=description,
        venue=spec.venue[0] if spec.venue else ("Online" if attendance == "online" else None),
        address=f"{CITIES[spec.city][0]}" if spec.venue else None,
        lat=round(spec.venue[1], 5) if spec.venue else None,
        lon=round(spec.venue[2], 5) if spec.venue else None,
        attendance=attendance,
        status=status,
        organizers=spec.organizers,
        categories=tuple(TOPICS[spec.topic][1]),
        url=f"https://events.example.org/s{spec.number}/{n}",
        fingerprint=f"{spec.number:05d}-{n:03d}-{start:%Y%m%d}",
        gone_at=draw.now if roll > 0.997 else None,
        people=people,
        sources=spec.sources,
    )


def draw_contacts(draw: _Draw, count: int) -> list[Contact]:
    """`count` contacts: 35% live in Berlin, 25% have no known city; 5% speak at events."""
    rng, found = draw.rng, []
    for number in range(1, count + 1):
        city = None
        roll = rng.random()
        if roll < 0.35:
            city = 0
        elif roll < 0.75:
            city = rng.randrange(1, len(CITIES))
        name, company = draw.name(common=0.7), rng.choice(COMPANIES)
        user = f"{slug(name.split()[0])}{number}"
        urls = (f"https://github.com/{user}",) if rng.random() < 0.3 else ()
        if city is not None and rng.random() < 0.05:  # a speaker, on the city's speaker list
            url = urls[0] if urls and rng.random() < 0.5 else None
            draw.speakers[city].append((name, company, url))
        tags = tuple(rng.sample(TAGS, rng.choice((1, 2)))) if rng.random() < 0.15 else ()
        spot = CITIES[city] if city is not None else None
        found.append(
            Contact(
                id=number,
                name=name,
                emails=(f"{user}@example.com",) if rng.random() < 0.6 else (),
                handles=(f"@{user}@mastodon.social",) if rng.random() < 0.1 else (),
                urls=urls,
                company=company,
                title=rng.choice(TITLES),
                city=spot[0] if spot else None,
                lat=spot[1] + rng.gauss(0, 0.05) if spot else None,
                lon=spot[2] + rng.gauss(0, 0.08) if spot else None,
                tags=tags,
                tie=rng.choices(("close", "regular", "weak"), (4, 36, 60))[0],
                last_met=draw.now.date() - timedelta(days=rng.randrange(20, 900)),
            )
        )
    return found


def draw_feedback(draw: _Draw, world: World) -> list[Feedback]:
    """Going to 3 upcoming Berlin events, not interested in 5."""
    berlin = [e for e in world.events if e.address == "Berlin" and e.status == "scheduled"]
    picks = draw.rng.sample(berlin[: len(berlin) // 4], 8)
    return [Feedback(e.id, "going" if n < 3 else "dismissed") for n, e in enumerate(picks)]
