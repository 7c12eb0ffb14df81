"""Kinds of write that change what is stored for the next view (housing's facts, Idag's
worklist), shared by the tests of both.

A kind of write is a generator over `world`: it makes the state before the write, yields, then
makes the write as a view would. `before_write` and `make_write` run the two halves and commit
each, so a test reads the stored and the live values in between and after.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_checklist
from webapp.extensions import db
from webapp.models import Absence, Contract, Participant, PhaseChange
from webapp.timeutil import local_today

Write = Callable[..., Iterator[None]]


def ids(writes: list[Write]) -> list[str]:
    """Test ids: the writes' names without underscores."""
    return [w.__name__.strip("_") for w in writes]


def before_write(write: Write, world) -> Iterator[None]:
    """Make and commit the state before `write`; returns the write, still to be made."""
    steps = write(world)
    next(steps)
    db.session.commit()
    return steps


def make_write(steps: Iterator[None]) -> None:
    """Make the write `before_write` left, commit it, and expire what the session holds."""
    with pytest.raises(StopIteration):
        next(steps)
    db.session.commit()
    db.session.expire_all()


def person(world) -> Participant:
    return db.session.get(Participant, world.participant.id)


def contract(world) -> Contract:
    return db.session.scalar(select(Contract).where(
        Contract.participant_id == world.participant.id))


# --- the kinds of write both stores depend on --------------------------------------------------

def checklist(world):
    yield
    make_checklist(person(world), world.users["staff"], local_today())


def phase_change(world):
    first = local_today().replace(day=1)
    yield
    db.session.add(PhaseChange(participant_id=world.participant.id, phase=3,
                               started_on=first - timedelta(days=40)))


def absence(world):
    today = local_today()
    yield
    db.session.add(Absence(participant_id=world.participant.id,
                           start_date=today.replace(day=1) - timedelta(days=40),
                           end_date=today + timedelta(days=40), reason="Resa"))


def contract_ended(world):
    yield
    ended = contract(world)
    ended.ended_on = local_today() - timedelta(days=1)
    ended.end_reason = "moved_by_choice"
