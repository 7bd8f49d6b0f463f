"""The matcher: which upcoming events a user should go to, whom they will meet there, and why.

Pure: plain records and `now` in, ranked matches out; no database, web, clock or network.
Two steps, run at different times:

    contacts = ContactIndex(user_contacts)                     # when contacts change
    found = {e.id: find_contacts(contacts, e) for e in events}  # when events or contacts change
    index = EventIndex(events)                                 # when events change
    evidence = EvidenceTable(index, found)                     # when either changes
    matches = match(profile, goals, events, evidence, feedback, now, trips=trips, index=index)

Each `Match` carries its `reasons` (kind goal | contact | place | time | trip | budget |
serendipity | feedback), the contacts at the event with the evidence for each, and the
introductions worth making there. Records convert from ORM rows with `from_row`.
"""

from planner.matcher.data import (
    FEEDBACK_KINDS,
    REASON_KINDS,
    Contact,
    ContactAtEvent,
    Event,
    Feedback,
    Goal,
    Introduction,
    Match,
    Person,
    Profile,
    Reason,
    Trip,
    from_row,
)
from planner.matcher.evidence import EvidenceTable
from planner.matcher.gathering import Gathering, gathering_calendar
from planner.matcher.identity import ContactIndex
from planner.matcher.index import EventIndex
from planner.matcher.introductions import introductions
from planner.matcher.meet import Suggestion, people_to_meet
from planner.matcher.people import find_contacts
from planner.matcher.rank import explain, match

__all__ = [
    "FEEDBACK_KINDS",
    "REASON_KINDS",
    "Contact",
    "ContactAtEvent",
    "ContactIndex",
    "Event",
    "EventIndex",
    "EvidenceTable",
    "Feedback",
    "Gathering",
    "Goal",
    "Introduction",
    "Match",
    "Person",
    "Profile",
    "Reason",
    "Suggestion",
    "Trip",
    "find_contacts",
    "from_row",
    "gathering_calendar",
    "introductions",
    "explain",
    "match",
    "people_to_meet",
]
