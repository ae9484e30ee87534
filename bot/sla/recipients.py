"""Who a ladder step reaches (docs/domain.md §6.1): the people of its kind who are on duty,
else one level up (bot/rules/ladder.py `climb`), in the chat they are told in.

One sweep asks the same questions for many cases; `Recipients` answers each once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.outbox import chat_language
from bot.kernel.services import Services
from bot.roles.lookup import Directory
from bot.roles.offices import Office, office_for, offices
from bot.rules.access import Role
from bot.rules.ladder import ONE_UP, climb
from bot.rules.sla import PER_INSURER, Stage, StepKind
from storage.models import Case, StageClock

People = tuple[tuple[int, str], ...]
_ASSISTANT_STAGES = frozenset({Stage.SCENE, Stage.SURVEY})
_POLICE_STAGES = frozenset({Stage.POLICE_PICKUP, Stage.POLICE_RESOLUTION})


@dataclass(frozen=True)
class Target:
    """Where one firing is told: a chat, the people mentioned there, who may acknowledge."""

    kind: StepKind
    chat_id: int
    people: People
    ackers: frozenset[int]


class Recipients:
    """Answers "who does this step reach" for one sweep, asking each question once."""

    def __init__(
        self, session: AsyncSession, svc: Services, now: datetime, directory: Directory
    ) -> None:
        self.session, self.svc, self.now = session, svc, now
        self.directory = directory
        self._people: dict[tuple[int, str, str, str | None, bool], People] = {}
        self._languages: dict[int, str] = {}
        self._offices: list[Office] | None = None

    @staticmethod
    async def of(
        session: AsyncSession, svc: Services, now: datetime, chat_ids: set[int]
    ) -> Recipients:
        """Recipients for a sweep over these chats (their grants read once)."""
        return Recipients(session, svc, now, await Directory.of(session, svc, chat_ids))

    async def language(self, chat_id: int) -> str:
        if chat_id not in self._languages:
            self._languages[chat_id] = await chat_language(self.session, self.svc, chat_id)
        return self._languages[chat_id]

    async def _find(
        self, case: Case, role: Role, insurer: str | None, *, on_duty: bool = True
    ) -> People:
        key = (case.chat_id, case.township_code, role.value, insurer, on_duty)
        if key not in self._people:
            found = self.directory.people(
                chat_id=case.chat_id,
                township=case.township_code,
                role=role.value,
                insurer=insurer,
                at=self.now,
                on_duty_only=on_duty,
            )
            self._people[key] = tuple(found)
        return self._people[key]

    async def _of(self, kind: StepKind, case: Case, row: StageClock) -> People:
        stage = Stage(row.stage)
        insurer = row.insurer_code if stage in PER_INSURER else None
        if kind is StepKind.REMIND:
            if stage in _ASSISTANT_STAGES:
                uid = case.responsible_id or case.opened_by
                return ((uid, case.responsible_name or case.opened_by_name),)
            if stage in _POLICE_STAGES:
                if case.police_claimed_by is not None and stage is Stage.POLICE_RESOLUTION:
                    name = case.police_claimed_by_name or str(case.police_claimed_by)
                    return ((case.police_claimed_by, name),)
                return await self._find(case, Role.POLICE, None)
            return await self._find(case, Role.ADJUSTER, insurer) if insurer else ()
        if kind is StepKind.SUPERVISORS:
            return await self._find(case, Role.SUPERVISOR, insurer) if insurer else ()
        if kind is StepKind.POLICE:
            return await self._find(case, Role.POLICE, None)
        return await self._find(case, Role.LIAISON, None, on_duty=False)

    async def target(self, kind: StepKind, case: Case, row: StageClock) -> Target:
        """The step that actually fires for this clock, and whom it tells."""
        found: dict[StepKind, People] = {}
        level: StepKind | None = kind
        while level is not None and level in ONE_UP:  # only the levels this step may climb
            found[level] = await self._of(level, case, row)
            level = None if found[level] else ONE_UP[level]
        fired = climb(kind, lambda level: bool(found.get(level)))
        insurer = row.insurer_code if Stage(row.stage) in PER_INSURER else None
        supervisors = (
            await self._find(case, Role.SUPERVISOR, insurer, on_duty=False) if insurer else ()
        )
        if fired is StepKind.LIAISON:
            people = await self._of(StepKind.LIAISON, case, row)
            if self._offices is None:
                self._offices = await offices(self.session, self.svc)
            office = office_for(self._offices, case.township_code)
            chat = office.chat_id if office is not None else case.chat_id
            # In its own chat the office needs no mention to see the message.
            shown = () if chat != case.chat_id else people
            return Target(fired, chat, shown, frozenset(uid for uid, _ in people))
        people = found[fired]
        ackers = {uid for uid, _ in people} | {uid for uid, _ in supervisors}
        return Target(fired, case.chat_id, people, frozenset(ackers))
