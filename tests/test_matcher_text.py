"""Words and the event index: folding, stemming, equivalents, goal queries, vectorized BM25."""

from __future__ import annotations

import math

import numpy as np
import pytest

from planner.matcher import EventIndex
from planner.matcher.index import K1, B, event_terms
from planner.matcher.text import analyze, as_written, fold, goal_query, term_counts, terms
from tests.test_matcher import event


def test_folding_drops_case_and_accents() -> None:
    assert [fold(w) for w in ("Müller", "Aydın", "Łukasz", "São Paulo")] == [
        "muller",
        "aydin",
        "lukasz",
        "sao paulo",
    ]


@pytest.mark.parametrize(
    "spellings",
    [
        ("ML", "machine learning", "Machine Learning"),
        ("JS", "JavaScript"),
        ("TS", "TypeScript"),
        ("k8s", "Kubernetes"),
        ("ETL", "data pipelines", "data engineering", "Data Engineers"),
        ("LLMs", "large language models"),
        ("SRE", "DevOps", "site reliability engineering"),
        ("UX", "user experience"),
        ("front-end", "frontend", "Front End"),
        ("PostgreSQL", "Postgres"),
        ("DB", "databases"),
        ("Golang", "Go developers"),
    ],
)
def test_equivalent_spellings_are_one_term(spellings: tuple[str, ...]) -> None:
    first = terms(spellings[0])[0]
    assert all(first in terms(spelling) for spelling in spellings)


def test_go_the_verb_is_not_go_the_language() -> None:
    assert "golang" in terms("Lisbon Go Meetup: building payment systems")
    assert "golang" not in terms("Let's go to the bar after the talks")


def test_narrower_words_imply_broader_ones_on_the_events_side_only() -> None:
    assert "frontend" in terms("React Server Components", implied=True)
    assert "frontend" not in terms("React Server Components")
    assert "react" not in terms("frontend", implied=True)


def test_stemming_and_stop_words() -> None:
    assert terms("the developers are mentoring") == terms("developer mentor")


def test_goal_queries_drop_fillers_and_weigh_intent_and_role_words_less() -> None:
    assert goal_query("meet Rust developers") == {"rust": 1.0, "develop": 0.3}
    assert goal_query("find a mentor in data engineering") == {"mentor": 0.6, "data engin": 1.0}


def test_surfaces_are_shown_as_written() -> None:
    assert as_written("Machine Learning Meetup Berlin", "machine learning") == "Machine Learning"
    assert analyze("Go Berlin Hack Night")[0] == ("golang", "go")


# --- the index ---


def _reference_bm25(events: list, query: dict[str, float]) -> list[float]:
    """BM25F as a plain loop over documents: what the vectorized index must equal."""
    counts = [event_terms(e) for e in events]
    lengths = [sum(c.values()) for c in counts]
    average = sum(lengths) / len(lengths)
    scores = []
    for count, length in zip(counts, lengths, strict=True):
        total = 0.0
        for term, weight in query.items():
            df = sum(1 for c in counts if term in c)
            tf = count.get(term, 0.0)
            if tf:
                idf = math.log1p((len(events) - df + 0.5) / (df + 0.5))
                total += weight * idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / average))
        scores.append(total)
    return scores


def test_vectorized_scores_equal_a_per_document_loop() -> None:
    events = [
        event("Rust Berlin Meetup", description="Two talks on async Rust.", organizers=("Rust",)),
        event("Rust Hack & Learn", description="Bring your project."),
        event("PyBerlin Talks", description="Rust for Python developers, then drinks."),
        event(
            "Data Engineering Night", description="ETL pipelines with dbt.", categories=("data",)
        ),
        event("Frontend Mixer", description="React and TypeScript developers meet."),
    ]
    query = {"rust": 1.0, "develop": 0.3, "data engin": 1.0}
    assert np.allclose(EventIndex(events).scores(query), _reference_bm25(events, query), rtol=1e-5)


def test_the_title_weighs_more_than_the_description() -> None:
    in_title = event("Rust Evening", description="Talks and drinks.")
    in_text = event("Evening Talks", description="Talks about Rust and drinks.")
    relevance = EventIndex([in_title, in_text]).relevance({"rust": 1.0})
    assert relevance[0] > relevance[1] > 0


def test_relevance_needs_a_topic_word_and_does_not_fade_when_every_event_has_it() -> None:
    events = [event(f"Rust night {n}", description="Rust developers meet.") for n in range(5)]
    events.append(event("Frontend Developers Mixer"))
    relevance = EventIndex(events).relevance(goal_query("meet Rust developers"))
    assert relevance[:5].min() > 0.8
    assert relevance[5] == 0


def test_matched_terms_are_reported_per_event() -> None:
    index = EventIndex([event("Rust Meetup"), event("Data Pipelines Night")])
    assert index.matched(["rust", "data engin", "golang"], 0) == ["rust"]
    assert index.matched(["rust", "data engin", "golang"], 1) == ["data engin"]


def test_an_empty_index_scores_nothing() -> None:
    assert EventIndex([]).relevance({"rust": 1.0}).shape == (0,)


@pytest.mark.parametrize("implied", [False, True])
def test_term_counts_are_the_counts_of_analyze(implied: bool) -> None:
    import json
    from collections import Counter
    from pathlib import Path

    texts = [
        "Machine learning and ML in production: data pipelines, ETL, k8s and Kubernetes.",
        "Go meetup: we go to the Go conference. JS / JavaScript, TS, React.\n\nLLMs & AI.",
    ]
    for scenario in sorted((Path(__file__).parent / "data" / "matcher").glob("*.json")):
        for item in json.loads(scenario.read_text())["events"]:
            texts.append(item.get("description") or "")
    for text in texts:
        assert term_counts(text, implied) == Counter(t for t, _ in analyze(text, implied)), text


def test_production_is_not_product() -> None:
    """ "ML in production" is about running software, "Product Camp" about product management:
    the stemmer would fold both into "product"."""
    from planner.matcher.text import stem

    assert stem("production") == stem("productions") != stem("product") == stem("products")
    assert stem("productivity") == stem("productive") != stem("product")
    index = EventIndex([event("Product Camp"), event("Typed Python in Production")])
    assert index.matched(goal_query("machine learning in production"), 0) == []
    assert index.matched(goal_query("machine learning in production"), 1) == [stem("production")]
