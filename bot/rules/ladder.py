"""Escalation ladders at work: what is due given acknowledgements, who a step reaches when
people are off duty, and how a sweep's notices are batched (docs/domain.md §6.1).

Pure: no Telegram, no database. `bot/rules/sla_clock.py` says which firings of a clock are
due; this module adds what people do about them. An acknowledgement quietens the step it
answered (its repeats are passed over) and holds the whole ladder until it lapses: a
firing that falls due meanwhile fires at the lapse, once, unless the clock stopped first.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable
from datetime import datetime
from typing import TypeVar

from bot.rules.calendar import Calendar
from bot.rules.sla import Firing, StepKind, Terms
from bot.rules.sla_clock import Clock, Due, due, next_due_at

K = TypeVar("K", bound=Hashable)
T = TypeVar("T")


def passed_over(terms: Terms, fired: Iterable[Firing], silenced: Iterable[int]) -> set[Firing]:
    """The firings that count as done: those fired, and the last repetition of each
    silenced step (which passes over all its repetitions)."""
    done = set(fired)
    for step in silenced:
        if 0 <= step < len(terms.ladder):
            done.add(Firing(step, terms.ladder[step].times))
    return done


def due_now(
    clock: Clock,
    calendar: Calendar,
    fired: Collection[Firing],
    silenced: Collection[int],
    ack_until: datetime | None,
    now: datetime,
) -> tuple[Due, ...]:
    """The firings to fire at `now`: nothing while an acknowledgement holds the ladder."""
    if ack_until is not None and now < ack_until:
        return ()
    return due(clock, calendar, passed_over(clock.terms, fired, silenced), now)


def next_look(
    clock: Clock,
    calendar: Calendar,
    fired: Collection[Firing],
    silenced: Collection[int],
    ack_until: datetime | None,
) -> datetime | None:
    """When the sweep must look at this clock next (`None`: nothing can fall due)."""
    at = next_due_at(clock, calendar, passed_over(clock.terms, fired, silenced))
    if at is not None and ack_until is not None and at < ack_until:
        return ack_until
    return at


# Who is told instead when nobody of a step is on duty: one level up. The liaison office
# is the top and is always told (in its chat, or in the group without a mention).
ONE_UP: dict[StepKind, StepKind] = {
    StepKind.REMIND: StepKind.SUPERVISORS,
    StepKind.SUPERVISORS: StepKind.LIAISON,
    StepKind.POLICE: StepKind.LIAISON,
}


def climb(kind: StepKind, reachable: Callable[[StepKind], bool]) -> StepKind:
    """The step that actually fires: `kind`, or the first level up with someone on duty."""
    while kind in ONE_UP and not reachable(kind):
        kind = ONE_UP[kind]
    return kind


def batches(items: Iterable[T], key: Callable[[T], K], size: int) -> list[tuple[K, list[T]]]:
    """Items grouped by destination in the order each destination first appears, each
    group cut into messages of at most `size` items."""
    if size < 1:
        raise ValueError("a batch holds at least one item")
    grouped: dict[K, list[T]] = {}
    for item in items:
        grouped.setdefault(key(item), []).append(item)
    out: list[tuple[K, list[T]]] = []
    for k, group in grouped.items():
        out.extend((k, group[i : i + size]) for i in range(0, len(group), size))
    return out


def thread_link(chat_id: int, *, topic_id: int | None, message_id: int | None) -> str | None:
    """A link into a supergroup: the case's topic, else the card's message (reply chains).

    Telegram links private-supergroup messages as t.me/c/<id without -100>/<message>; a
    topic's own link is its first message's id, which is the topic id.
    """
    text = str(chat_id)
    if not text.startswith("-100"):
        return None  # basic groups have no message links
    target = topic_id if topic_id is not None else message_id
    return None if target is None else f"https://t.me/c/{text[4:]}/{target}"
