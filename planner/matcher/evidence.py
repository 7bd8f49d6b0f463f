"""The contact claims of all events as numpy columns, built once when evidence changes, so
that ranking turns them into one contact value per event with a few array operations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np

from planner.matcher.data import ContactAtEvent
from planner.matcher.index import EventIndex

ROLE_WEIGHT = {"speaker": 1.0, "host": 0.9, "organizer": 0.7, "attendee": 0.6, "mentioned": 0.4}
LIKELY_WEIGHT = 0.15
TIE_WEIGHT = {"close": 1.0, "regular": 0.7, "weak": 0.45}


def contact_weight(claim: ContactAtEvent) -> float:
    """What one contact at an event is worth: by role (a guess little) and by tie."""
    role = LIKELY_WEIGHT if claim.likely else ROLE_WEIGHT.get(claim.role, 0.4)
    return role * TIE_WEIGHT.get(claim.tie, 0.7)


class EvidenceTable:
    """`find_contacts` results for the events of `index` (event id -> claims)."""

    def __init__(self, index: EventIndex, evidence: Mapping[int, Sequence[ContactAtEvent]]):
        self.size = index.size
        self.claims: dict[int, list[ContactAtEvent]] = {}
        listings: dict[str, int] = {}
        rows, who, likely, weight, listing = [], [], [], [], []  # one entry per claim
        for event_id, found in evidence.items():
            row = index.row.get(event_id)
            if row is None or not found:
                continue
            self.claims[row] = list(found)
            event = index.events[row]
            at = listings.setdefault(event.fingerprint or f"id:{event.id}", len(listings))
            for claim in found:
                rows.append(row)
                who.append(claim.contact_id)
                likely.append(claim.likely)
                weight.append(contact_weight(claim))
                listing.append(at)
        self.rows = np.fromiter(self.claims, dtype=np.int64, count=len(self.claims))
        self._rows = np.array(rows, dtype=np.int64)
        self._likely = np.array(likely, dtype=bool)
        self._weight = np.array(weight, dtype=np.float64)
        self._kind = np.array(who, dtype=np.int64) * 2 + self._likely  # a contact, sure or guessed
        self._group_claims(np.array(listing, dtype=np.int64))

    def _group_claims(self, listing: np.ndarray) -> None:
        """Group the claims by (contact kind, listing), once: ranking then counts, per kind,
        the listings with an open claim using bincounts, without sorting again."""
        kinds, kind_of_claim = np.unique(self._kind, return_inverse=True)
        span = int(listing.max()) + 1 if len(listing) else 1
        pairs, self._group = np.unique(kind_of_claim * span + listing, return_inverse=True)
        self._kinds = kinds
        self._kind_of_group = pairs // span
        self._kind_of_claim = kind_of_claim

    def value(self, open_rows: np.ndarray) -> ContactValue:
        """The contact value of each open event: claim weights, each divided by the square
        root of the number of open events (duplicates as one) where the user may meet that
        contact the same way (confirmed, or guessed), summed and saturated to 0-1."""
        keep = open_rows[self._rows] if len(self._rows) else np.zeros(0, dtype=bool)
        open_groups = np.bincount(self._group, weights=keep, minlength=len(self._kind_of_group)) > 0
        chances = np.bincount(self._kind_of_group, weights=open_groups, minlength=len(self._kinds))
        per_claim = np.maximum(chances[self._kind_of_claim], 1.0)[keep]
        rows, likely, weight = self._rows[keep], self._likely[keep], self._weight[keep]
        total = np.bincount(rows, weights=weight / np.sqrt(per_claim), minlength=self.size)
        confirmed = np.bincount(rows, weights=~likely, minlength=self.size) > 0
        sure = (self._kinds % 2 == 0) & (chances > 0)
        repeats = Counter(
            dict(
                zip(
                    (self._kinds[sure] // 2).tolist(),
                    chances[sure].astype(int).tolist(),
                    strict=True,
                )
            )
        )
        return ContactValue(
            1.0 - np.exp(-total),
            confirmed,
            np.bincount(rows, weights=weight, minlength=self.size),
            repeats,
            self.claims,
            self.rows,
        )


class ContactValue:
    """What the contacts make of each open event (arrays over the index's rows)."""

    def __init__(
        self,
        score: np.ndarray,
        confirmed: np.ndarray,
        total: np.ndarray,
        repeats: Counter[int],
        claims: dict[int, list[ContactAtEvent]],
        rows: np.ndarray,
    ) -> None:
        self.score = score  # 0-1
        self.confirmed = confirmed  # a contact will be there, not only likely
        self.total = total  # the undivided weights, for serendipity
        self.repeats = repeats  # contact id -> open events where they are confirmed
        self.claims = claims  # row -> the claims (of every event, open or not)
        self.rows = rows  # the rows of `claims`, in its order
