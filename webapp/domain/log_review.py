"""The monthly log review (DESIGN §3 Admin): which access events look unusual.

Swedish social services follow up access logs systematically; the admin sees a sample plus the
events flagged here: opening someone outside one's caseload, access at night, and many records
in a short time. Plain functions: events in, flags out.
"""
from __future__ import annotations

import hashlib
import heapq
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import NamedTuple

FLAGS = {
    "outside_caseload": "Utanför egna ärenden",
    "night": "Nattetid (22–06)",
    "burst": "Många personer på kort tid",
    "refused": "Nekad åtkomst",
}
# The order an event's flags are listed in.
FLAG_ORDER = ("refused", "outside_caseload", "night", "burst")
# Roles whose reads are limited to a caseload; admin sees everything by design and a
# participant only themselves.
CASELOAD_ROLES = frozenset({"staff", "social_worker", "housing"})
WORKER_ROLES = CASELOAD_ROLES | {"admin"}
NIGHT_START, NIGHT_END = 22, 6
BURST_LIMIT = 20  # more than this many distinct participants ...
BURST_WINDOW = timedelta(minutes=10)  # ... within this window


class AccessEvent(NamedTuple):
    """An event of the month's review (a tuple: a month holds thousands)."""
    id: int
    at_local: datetime  # local wall-clock time
    user_id: int | None
    role: str
    action: str
    participant_id: int | None


def is_night(at_local: datetime) -> bool:
    return at_local.hour >= NIGHT_START or at_local.hour < NIGHT_END


def burst_events(events: list[AccessEvent], limit: int = BURST_LIMIT,
                 window: timedelta = BURST_WINDOW) -> set[int]:
    """Ids of events in any window where one user touched more than `limit` participants."""
    flagged: set[int] = set()
    by_user: dict[int, list[AccessEvent]] = defaultdict(list)
    for event in events:
        if event.user_id is not None and event.participant_id is not None:
            by_user[event.user_id].append(event)
    for user_events in by_user.values():
        user_events.sort(key=lambda e: (e.at_local, e.id))
        counts: Counter[int] = Counter()
        left = 0
        for right, event in enumerate(user_events):
            counts[event.participant_id] += 1
            while event.at_local - user_events[left].at_local > window:
                old = user_events[left].participant_id
                counts[old] -= 1
                if not counts[old]:
                    del counts[old]
                left += 1
            if len(counts) > limit:
                flagged.update(e.id for e in user_events[left:right + 1])
    return flagged


def event_flags(events: list[AccessEvent]) -> dict[int, list[str]]:
    """The flags that follow from the events alone (refused, night, burst), per event id:
    all but "outside_caseload", which depends on today's caseloads. Monotone: more events
    can add flags to an event, never take one away (the stored review relies on it)."""
    workers = [e for e in events if e.role in WORKER_ROLES]
    # A list page logs each participant it showed: that is not someone opening many records.
    bursts = burst_events([e for e in workers if e.action != "list"])
    flags: dict[int, list[str]] = {}
    for event in events:
        if event.action == "refused":  # anyone, any role: always shown to the admin
            flags[event.id] = ["refused"]
    for event in workers:
        found = list(flags.get(event.id, []))
        if is_night(event.at_local):
            found.append("night")
        if event.id in bursts:
            found.append("burst")
        if found:
            flags[event.id] = found
    return flags


def is_caseload_read(event: AccessEvent) -> bool:
    """A read the caseload check applies to (an admin sees everyone by design)."""
    return (event.role in CASELOAD_ROLES and event.action == "read"
            and event.user_id is not None and event.participant_id is not None)


def with_flag(flags: list[str], flag: str) -> list[str]:
    """`flags` and `flag`, in FLAG_ORDER."""
    return sorted(set(flags) | {flag}, key=FLAG_ORDER.index)


def flag_events(events: list[AccessEvent],
                caseloads: dict[int, set[int]]) -> dict[int, list[str]]:
    """Flags per event id (only events with at least one flag are returned).

    `caseloads`: per user id, the participants that user may see or is assigned to.
    """
    flags = event_flags(events)
    for event in events:
        if (is_caseload_read(event)
                and event.participant_id not in caseloads.get(event.user_id, set())):
            flags[event.id] = with_flag(flags.get(event.id, []), "outside_caseload")
    return flags


def sample_key(seed: str, event_id: int) -> int:
    """An event's place in the month's random order: a hash of the month and the event, the
    same in every process (not Python's salted hash), fits a signed 64-bit column."""
    digest = hashlib.blake2b(f"{seed}:{event_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def sample_events(events: list[AccessEvent], size: int, seed: str) -> list[AccessEvent]:
    """A stable random sample: the `size` events first in the month's random order
    (`sample_key`). The same month shows the same sample on every visit, and an event added
    later only enters it in place of one that comes after it, so the sample can be kept
    from the events with the smallest keys alone (the stored review)."""
    chosen = heapq.nsmallest(size, events, key=lambda e: (sample_key(seed, e.id), e.id))
    return sorted(chosen, key=lambda e: (e.at_local, e.id))
