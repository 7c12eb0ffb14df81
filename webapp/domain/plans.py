"""The genomförandeplan's history and conflict rules (DESIGN §5: nothing silently overwritten).

Every saved change bumps `Plan.version` and stores a JSON snapshot of the whole plan. An edit
form carries the version it was loaded at; when the stored version is newer, someone else has
saved in between and the edit is a conflict: the person sees both texts and chooses.
These functions take plain objects (or the models, read by attribute) and return data.
"""
from __future__ import annotations

import json
from datetime import date
from typing import Any


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def snapshot(plan: Any) -> dict:
    """The plan as plain data: follow-up date, goals and their steps (dropped ones included)."""
    return {
        "version": plan.version,
        "follow_up_date": _day(plan.follow_up_date),
        "goals": [
            {
                "id": goal.id,
                "life_area": goal.life_area,
                "own_words": goal.own_words,
                "status": goal.status,
                "steps": [
                    {
                        "id": step.id,
                        "text": step.text,
                        "who": step.who,
                        "who_name": step.who_name,
                        "due_date": _day(step.due_date),
                        "done": bool(step.done),
                        "dropped": step.dropped_at is not None,
                    }
                    for step in goal.steps
                ],
            }
            for goal in plan.goals
        ],
    }


def snapshot_json(plan: Any) -> str:
    return json.dumps(snapshot(plan), ensure_ascii=False, sort_keys=True)


def parse_version(raw: str | int | None) -> int | None:
    """The version an edit form was loaded at; None when missing or not a number."""
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if value >= 0 else None


def is_conflict(loaded_version: int | None, stored_version: int) -> bool:
    """True when the plan was saved by someone after this form was loaded (or we cannot tell).
    A version the plan never had (ahead of the stored one) is no form of ours: also refused."""
    return loaded_version is None or loaded_version != stored_version


def describe_changes(before: dict | None, after: dict) -> list[str]:
    """Short Swedish lines saying what changed between two snapshots (for the history list)."""
    if before is None:
        return ["Planen som den såg ut först."]
    lines: list[str] = []
    if before.get("follow_up_date") != after.get("follow_up_date"):
        lines.append("Datum för uppföljning ändrat.")
    old_goals = {g["id"]: g for g in before.get("goals", [])}
    for goal in after.get("goals", []):
        old = old_goals.get(goal["id"])
        if old is None:
            lines.append(f"Nytt mål: {_short(goal['own_words'])}")
            continue
        if old["status"] != goal["status"] and goal["status"] == "dropped":
            lines.append(f"Mål avslutat: {_short(goal['own_words'])}")
        elif old["own_words"] != goal["own_words"] or old["life_area"] != goal["life_area"] or (
            old["status"] != goal["status"]
        ):
            lines.append(f"Mål ändrat: {_short(goal['own_words'])}")
        old_steps = {s["id"]: s for s in old.get("steps", [])}
        for step in goal["steps"]:
            prev = old_steps.get(step["id"])
            if prev is None:
                lines.append(f"Nytt steg: {_short(step['text'])}")
            elif step["dropped"] and not prev["dropped"]:
                lines.append(f"Steg borttaget: {_short(step['text'])}")
            elif step["done"] != prev["done"]:
                verb = "klart" if step["done"] else "inte klart"
                lines.append(f"Steg {verb}: {_short(step['text'])}")
            elif step != prev:
                lines.append(f"Steg ändrat: {_short(step['text'])}")
    return lines


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
