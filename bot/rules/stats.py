"""The liaison office's figures from plain rows (docs/domain.md §7.1).

Pure: no Telegram, no database. The queries hand over rows (`CaseRow`, `ClaimRow`,
`StageRow`); `figures` counts them for one `Period` (bot/rules/periods.py), so the digest, /stats, the export's
summary sheet and the CLI all say the same thing.

Each figure is attributed to a period by one instant of its row, named with the figure
(`Slice`, `Figures`). A duration is counted once its end has happened, whenever that was,
and left out while it is still running: the spreads describe what finished, and a period
with slow answers still outstanding looks faster until they arrive. Durations are
wall-clock minutes; the stage clocks' working time is in their met/missed records.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.rules.periods import Period
from bot.rules.sla import Stage

# Statuses in the order a case passes them, for listing the open cases; the values of
# bot/case/status.py CaseStatus, spelled out since the pure rules import nothing above them.
OPEN_ORDER = ("collecting", "ready", "awaiting_insurer", "approved", "paid", "disputed", "police")
ENDED = frozenset({"closed", "cancelled"})
STAGE_ORDER = tuple(s.value for s in Stage)


@dataclass(frozen=True)
class CaseRow:
    number: str
    township: str
    status: str  # a CaseStatus value (bot/case/status.py)
    opened_at: datetime
    ready_at: datetime | None  # first time it became ready
    closed_at: datetime | None  # when it closed or was cancelled (status says which)
    police_at: datetime | None  # when it was handed to the police (None: never)


@dataclass(frozen=True)
class ClaimRow:
    case_number: str
    township: str
    insurer: str  # insurer code
    pinged_at: datetime
    responded_at: datetime | None  # the insurer's first action (ack, approve, survey, reject)
    approved_at: datetime | None
    paid_at: datetime | None  # paid in full
    approved_fen: int | None
    paid_fen: int


@dataclass(frozen=True)
class StageRow:
    case_number: str
    township: str
    insurer: str | None
    stage: str  # a Stage value (bot/rules/sla.py)
    started_at: datetime
    stopped_at: datetime | None
    met_target: bool | None  # None while it runs


def percentile(values: Sequence[float], q: float) -> float | None:
    """The `q`-quantile (0 ≤ q ≤ 1) of `values`; `None` when there are none.

    Linear interpolation between closest ranks, the "inclusive" method of
    `statistics.quantiles` (and numpy's default): sorted values v[0..n-1], position
    p = q·(n-1), result v[⌊p⌋] + (p-⌊p⌋)·(v[⌊p⌋+1]-v[⌊p⌋]). Hence q=0 is the least value,
    q=1 the greatest, one value is itself at every q, and the median of an even count is
    the mean of the middle two. The result never leaves the range of the values.
    """
    if not 0 <= q <= 1:
        raise ValueError(f"a quantile lies in [0, 1], not {q}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    fraction = position - low
    return float(ordered[low] + fraction * (ordered[high] - ordered[low]))


@dataclass(frozen=True)
class Spread:
    """How long something took: how many finished, their median and 90th percentile."""

    count: int
    median_minutes: float | None
    p90_minutes: float | None


def spread(minutes: Sequence[float]) -> Spread:
    return Spread(len(minutes), percentile(minutes, 0.5), percentile(minutes, 0.9))


@dataclass(frozen=True)
class Slice:
    """The figures of all cases (`key` ""), one township or one insurer (its code).

    An insurer's slice has no `to_ready`: getting a case ready is the township's work,
    before any insurer is asked.
    """

    key: str
    cases: int  # opened in the period; for an insurer, with its claim pinged in the period
    to_ready: Spread  # opened → ready, cases opened in the period
    to_response: Spread  # ping → first response, claims pinged in the period
    to_approval: Spread  # ping → approval, claims pinged in the period
    to_payout: Spread  # approval → paid in full, claims approved in the period
    sla_met: int  # stages stopped in the period that met their target
    sla_total: int  # stages stopped in the period
    approved_fen: int  # claims approved in the period
    paid_fen: int  # claims paid in full in the period (their paid_fen)

    @property
    def sla_share(self) -> float | None:
        """The share of stages within target; `None` when none stopped."""
        return self.sla_met / self.sla_total if self.sla_total else None


@dataclass(frozen=True)
class Figures:
    period: Period
    opened: int  # cases opened in the period
    closed: int  # status closed and closed_at in the period
    cancelled: int  # status cancelled and closed_at in the period
    police: int  # police_at in the period
    open_by_status: dict[str, int]  # every case open now, by status, in the order of its life
    total: Slice
    townships: tuple[Slice, ...]  # sorted by key; only those with anything in the period
    insurers: tuple[Slice, ...]  # sorted by key; only those with anything in the period
    sla_by_stage: dict[str, tuple[int, int]]  # stage → (met, total), stopped in the period

    @property
    def quiet(self) -> bool:
        """Nothing happened in the period (a digest of one line): nothing opened, closed,
        cancelled, handed to police, pinged, approved, paid or stopped. Open cases from
        before do not make a period busy; they are still listed."""
        t = self.total
        return not (
            self.opened
            or self.closed
            or self.cancelled
            or self.police
            or self.townships
            or self.insurers
            or self.sla_by_stage
            or t.cases
            or t.to_ready.count
            or t.to_response.count
            or t.to_approval.count
            or t.to_payout.count
            or t.sla_total
            or t.approved_fen
            or t.paid_fen
        )


def minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


@dataclass
class _Tally:
    """One slice while the rows are counted."""

    busy: bool = False  # something of it happened in the period
    cases: set[str] = field(default_factory=set)
    to_ready: list[float] = field(default_factory=list)
    to_response: list[float] = field(default_factory=list)
    to_approval: list[float] = field(default_factory=list)
    to_payout: list[float] = field(default_factory=list)
    sla_met: int = 0
    sla_total: int = 0
    approved_fen: int = 0
    paid_fen: int = 0

    def freeze(self, key: str) -> Slice:
        return Slice(
            key=key,
            cases=len(self.cases),
            to_ready=spread(self.to_ready),
            to_response=spread(self.to_response),
            to_approval=spread(self.to_approval),
            to_payout=spread(self.to_payout),
            sla_met=self.sla_met,
            sla_total=self.sla_total,
            approved_fen=self.approved_fen,
            paid_fen=self.paid_fen,
        )


def _in_order(keys: Iterable[str], order: Sequence[str]) -> list[str]:
    """`keys` in the given order, any others after them alphabetically."""
    present = set(keys)
    known = [k for k in order if k in present]
    return [*known, *sorted(present - set(known))]


def figures(
    period: Period,
    cases: Iterable[CaseRow],
    claims: Iterable[ClaimRow],
    stages: Iterable[StageRow],
) -> Figures:
    """The figures of `period` from rows that may reach beyond it.

    Every row counts where one of its instants falls in the period (the comments of
    `Slice` and `Figures` name which); `open_by_status` counts every case not closed or
    cancelled, whatever its dates. A case, claim or stage counts for its township; claims
    and stages count for their insurer too (a stage without one counts for its township
    and the total only). A township or insurer is listed when anything of it happened in
    the period.
    """
    total = _Tally()
    townships: dict[str, _Tally] = {}
    insurers: dict[str, _Tally] = {}
    opened = closed = cancelled = police = 0
    open_now: dict[str, int] = {}
    by_stage: dict[str, list[int]] = {}

    def tallies(township: str, insurer: str | None = None) -> list[_Tally]:
        found = [total, townships.setdefault(township, _Tally())]
        if insurer is not None:
            found.append(insurers.setdefault(insurer, _Tally()))
        return found

    for case in cases:
        if case.status not in ENDED:
            open_now[case.status] = open_now.get(case.status, 0) + 1
        was_opened = period.holds(case.opened_at)
        was_closed = case.status == "closed" and period.holds(case.closed_at)
        was_cancelled = case.status == "cancelled" and period.holds(case.closed_at)
        went_to_police = period.holds(case.police_at)
        opened += was_opened
        closed += was_closed
        cancelled += was_cancelled
        police += went_to_police
        if not (was_opened or was_closed or was_cancelled or went_to_police):
            continue
        for tally in tallies(case.township):
            tally.busy = True
            if was_opened:
                tally.cases.add(case.number)
                if case.ready_at is not None:
                    tally.to_ready.append(minutes(case.opened_at, case.ready_at))

    for claim in claims:
        pinged = period.holds(claim.pinged_at)
        approved = period.holds(claim.approved_at)
        paid = period.holds(claim.paid_at)
        if not (pinged or approved or paid):
            continue
        township_tallies = tallies(claim.township, claim.insurer)
        for tally in township_tallies:
            tally.busy = True
            if pinged:
                if claim.responded_at is not None:
                    tally.to_response.append(minutes(claim.pinged_at, claim.responded_at))
                if claim.approved_at is not None:
                    tally.to_approval.append(minutes(claim.pinged_at, claim.approved_at))
            if approved:
                tally.approved_fen += claim.approved_fen or 0
                if claim.approved_at is not None and claim.paid_at is not None:
                    tally.to_payout.append(minutes(claim.approved_at, claim.paid_at))
            if paid:
                tally.paid_fen += claim.paid_fen
        if pinged:
            # An insurer's cases are those it was asked about; the total's and a
            # township's are those opened, counted from the cases above.
            township_tallies[-1].cases.add(claim.case_number)

    for stage in stages:
        if not period.holds(stage.stopped_at):
            continue
        met = stage.met_target is True
        pair = by_stage.setdefault(stage.stage, [0, 0])
        pair[0] += met
        pair[1] += 1
        for tally in tallies(stage.township, stage.insurer):
            tally.busy = True
            tally.sla_met += met
            tally.sla_total += 1

    return Figures(
        period=period,
        opened=opened,
        closed=closed,
        cancelled=cancelled,
        police=police,
        open_by_status={k: open_now[k] for k in _in_order(open_now, OPEN_ORDER)},
        total=total.freeze(""),
        townships=tuple(t.freeze(k) for k, t in sorted(townships.items()) if t.busy),
        insurers=tuple(t.freeze(k) for k, t in sorted(insurers.items()) if t.busy),
        sla_by_stage={
            k: (by_stage[k][0], by_stage[k][1]) for k in _in_order(by_stage, STAGE_ORDER)
        },
    )
