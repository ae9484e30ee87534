"""A new deployment file re-indexes running clocks: a holiday taken back out of the file
makes a payout due a working day sooner, and the sweep then fires on time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import clocks
from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.rules.sla import Event
from bot.sla.sweep import sweep
from storage.models import AuditEvent, StageClock
from tests.factories import make_case, make_group, rows

# Tuesday 1 December 2026, 09:10 in Xiangtan.
TUESDAY = datetime(2026, 12, 1, 1, 10, tzinfo=UTC)


async def _approve_now(svc: Services, case_id: int) -> None:
    async def work(session: AsyncSession) -> None:
        clocks.note(session, case_id, Event.INSURER_APPROVED, at=svc.clock.now(), insurer="PINGAN")

    await svc.in_transaction(work)


async def test_a_holiday_taken_out_of_the_file_brings_the_payout_forward(svc: Services):
    assert isinstance(svc.clock, ManualClock)
    svc.clock.advance(seconds=(TUESDAY - svc.clock.now()).total_seconds())
    county = svc.deployment.sla.model_copy(update={"holidays": (date(2026, 12, 2),)})
    svc.deployment = svc.deployment.model_copy(update={"sla": county})
    await make_group(svc)
    case = await make_case(svc, status="approved")
    assert case.id is not None
    await _approve_now(svc, case.id)
    (payout,) = await rows(svc, StageClock, StageClock.stage == "payout")
    # 3 working days with Wednesday off: the breach is Monday 09:10.
    assert payout.breach_at == datetime(2026, 12, 7, 1, 10, tzinfo=UTC)

    # The county works on Wednesday after all: the new file, re-indexed at start.
    svc.deployment = svc.deployment.model_copy(
        update={"sla": svc.deployment.sla.model_copy(update={"holidays": ()})}
    )
    assert await clocks.reindex(svc) == 1
    (payout,) = await rows(svc, StageClock, StageClock.stage == "payout")
    assert payout.breach_at == datetime(2026, 12, 4, 1, 10, tzinfo=UTC)
    assert payout.due_at is not None and payout.due_at <= payout.breach_at

    # Friday 09:10: the supervisors are told that day, not on Monday.
    svc.clock.advance(seconds=(payout.breach_at - svc.clock.now()).total_seconds())
    svc.clock.advance(seconds=1)
    assert await sweep(svc) >= 1
    fired = await rows(svc, AuditEvent, AuditEvent.kind == "sla.fired")
    assert ("payout", "supervisors") in {(e.data["stage"], e.data["step"]) for e in fired}
    assert timedelta(0) <= svc.clock.now() - payout.breach_at < timedelta(minutes=1)
