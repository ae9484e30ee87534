"""Factories for the stage clocks' use-case tests: deployments with other service levels
or on-duty hours, clocks started by noting their events, and reading what a sweep wrote.

Clocks started here go through `bot.case.clocks.note`, the same door every use case uses,
so a clock made by a factory carries the terms the deployment gives its stage.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case.clocks import note
from bot.config.sla import SlaStage
from bot.kernel.buttons import PREFIX
from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.rules.sla import Event
from storage.models import AuditEvent, Case, OutboxItem, StageClock
from tests.factories import MORNING, NAMES, rows

NOTICE = "sla_notice"
# The example deployment's liaison office (bot/config/kuaipei.example.yaml).
LIAISON = 6103827415
NAMES_OF_EXAMPLE = {**NAMES, LIAISON: "湘潭县联席办"}


def advance(svc: Services, **delta: float) -> None:
    """Move the test's manual clock forward."""
    clock = svc.clock
    assert isinstance(clock, ManualClock)
    clock.advance(**delta)


def later(svc: Services, minutes: float) -> None:
    advance(svc, minutes=minutes)


def at_minute(svc: Services, minute: float) -> None:
    """The manual clock moved on to `minute` minutes after the tests' `MORNING`."""
    step = MORNING + minutes(minute) - svc.clock.now()
    assert step >= timedelta(0), "the clock only moves forward"
    advance(svc, seconds=step.total_seconds())


def set_sla(svc: Services, **changes: Any) -> None:
    """The deployment's `sla:` block with some settings changed."""
    sla = svc.deployment.sla.model_copy(update=changes)
    svc.deployment = svc.deployment.model_copy(update={"sla": sla})


def set_stage(svc: Services, stage: str, **spec: Any) -> None:
    """One stage's service level replaced, written as in the deployment file."""
    stages = svc.deployment.sla.stages.model_copy(update={stage: SlaStage.model_validate(spec)})
    set_sla(svc, stages=stages)


def set_on_duty(svc: Services, hours: dict[int, tuple[str, ...]]) -> None:
    """Some deployment people given other on-duty hours (local time)."""
    people = tuple(
        p.model_copy(update={"on_duty": hours[p.user_id]}) if p.user_id in hours else p
        for p in svc.deployment.people
    )
    svc.deployment = svc.deployment.model_copy(update={"people": people})


async def noted(
    svc: Services, cases: Iterable[Case], event: Event, *, insurer: str | None = None
) -> None:
    """`event` happened now to each case, in one transaction (as a use case notes it)."""
    at = svc.clock.now()

    async def work(session: AsyncSession) -> None:
        for case in cases:
            note(session, case.id, event, at=at, insurer=insurer)

    await svc.in_transaction(work)


async def clocks_of(svc: Services, case: Case) -> list[StageClock]:
    """Every clock the case has had, oldest first."""
    return await rows(svc, StageClock, StageClock.case_id == case.id)


async def clock(svc: Services, case: Case, stage: str, insurer: str | None = None) -> StageClock:
    """The latest clock of one stage of a case (per insurer for the insurer stages)."""
    found = [
        row
        for row in await clocks_of(svc, case)
        if row.stage == stage and row.insurer_code == insurer
    ]
    assert found, f"no {stage} clock for {insurer}"
    return found[-1]


async def live(svc: Services, case: Case) -> set[tuple[str, str | None]]:
    """(stage, insurer) of the case's running and paused clocks."""
    return {
        (row.stage, row.insurer_code)
        for row in await clocks_of(svc, case)
        if row.state in ("running", "paused")
    }


async def events(svc: Services, kind: str) -> list[AuditEvent]:
    return await rows(svc, AuditEvent, AuditEvent.kind == kind)


async def notices(svc: Services) -> list[OutboxItem]:
    return await rows(svc, OutboxItem, col(OutboxItem.kind) == NOTICE)


def ack_buttons(item: OutboxItem) -> list[tuple[str, str]]:
    """(label, token) of a notice's 接单 buttons, one per row."""
    out = []
    for row in item.payload.get("buttons", []):
        [[label, data]] = row
        out.append((str(label), str(data).removeprefix(PREFIX)))
    return out


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
