"""Finding people and grants: the deployment file and the chat's grants, on a real database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config.deployment import EXAMPLE_FILE, Person, load_deployment
from bot.kernel.clock import ManualClock
from bot.kernel.services import Services
from bot.roles.lookup import grants_of, insurer_contacts, people_for
from bot.rules.access import Action, Grant, Role, may
from storage.db import Database
from storage.models import Member

CHAT, OTHER_CHAT = -1001, -1002
# 10:00 in Asia/Shanghai.
MORNING = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
# 23:00 in Asia/Shanghai.
NIGHT = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)

PEOPLE = (
    Person(user_id=1, name="交警甲", role="police"),
    Person(user_id=2, name="花石交警", role="police", townships=("HS",)),
    Person(user_id=3, name="白班定损", role="adjuster", insurer="PICC", on_duty=("08:00-18:00",)),
    Person(user_id=4, name="夜班定损", role="adjuster", insurer="PICC", on_duty=("18:00-08:00",)),
    Person(user_id=5, name="人保主管", role="supervisor", insurer="PICC", on_duty=("08:00-17:00",)),
    Person(user_id=6, name="平安定损", role="adjuster", insurer="PINGAN", on_duty=("09:00-10:00",)),
    Person(
        user_id=7, name="平安主管", role="supervisor", insurer="PINGAN", on_duty=("09:00-10:00",)
    ),
)


@pytest.fixture
async def svc(database_url: str) -> AsyncIterator[Services]:
    deployment = load_deployment(EXAMPLE_FILE).model_copy(update={"people": PEOPLE})
    services = Services(
        db=Database(database_url), clock=ManualClock(MORNING), deployment=deployment
    )
    yield services
    await services.db.dispose()


async def _members(svc: Services, *rows: Member) -> None:
    async with svc.db.transaction() as s:
        for row in rows:
            s.add(row)


def _member(user_id: int, role: str, insurer: str | None = None, chat: int = CHAT) -> Member:
    return Member(
        chat_id=chat,
        user_id=user_id,
        display_name=f"群员{user_id}",
        role=role,
        insurer_code=insurer,
        created_at=MORNING,
    )


async def test_police_of_a_township_deployment_first_then_chat(svc: Services):
    await _members(
        svc, _member(20, "police"), _member(1, "police"), _member(21, "police", chat=OTHER_CHAT)
    )
    async with svc.db.session() as s:
        hs = await people_for(s, svc, chat_id=CHAT, township="HS", role="police")
        sb = await people_for(s, svc, chat_id=CHAT, township="SB", role="police")
    assert hs == [(1, "交警甲"), (2, "花石交警"), (20, "群员20")]  # no duplicate of 1
    assert sb == [(1, "交警甲"), (20, "群员20")]  # 2 serves HS only; 21 is another chat's


async def test_an_insurers_people_only(svc: Services):
    await _members(svc, _member(30, "adjuster", "PICC"), _member(31, "adjuster", "CPIC"))
    async with svc.db.session() as s:
        picc = await people_for(
            s, svc, chat_id=CHAT, township="HS", role="adjuster", insurer="PICC"
        )
        cpic = await people_for(
            s, svc, chat_id=CHAT, township="HS", role="adjuster", insurer="CPIC"
        )
        every = await people_for(s, svc, chat_id=CHAT, township="HS", role="adjuster")
    assert [uid for uid, _ in picc] == [3, 4, 30]
    assert cpic == [(31, "群员31")]
    assert [uid for uid, _ in every] == [3, 4, 6, 30, 31]


async def test_on_duty_only_follows_the_regions_clock(svc: Services):
    await _members(svc, _member(30, "adjuster", "PICC"))  # chat grants have no hours
    async with svc.db.session() as s:
        day = await people_for(
            s, svc, chat_id=CHAT, township="HS", role="adjuster", insurer="PICC", on_duty_only=True
        )
        night = await people_for(
            s,
            svc,
            chat_id=CHAT,
            township="HS",
            role="adjuster",
            insurer="PICC",
            at=NIGHT,
            on_duty_only=True,
        )
    assert [uid for uid, _ in day] == [3, 30]
    assert [uid for uid, _ in night] == [4, 30]


async def test_insurer_contacts_fall_back_to_supervisors(svc: Services):
    async with svc.db.session() as s:
        picc_day = await insurer_contacts(s, svc, chat_id=CHAT, township="HS", insurer="PICC")
        pingan_day = await insurer_contacts(s, svc, chat_id=CHAT, township="HS", insurer="PINGAN")
        pingan_nine = await insurer_contacts(
            s,
            svc,
            chat_id=CHAT,
            township="HS",
            insurer="PINGAN",
            at=datetime(2026, 11, 30, 1, 30, tzinfo=UTC),  # 09:30 local
        )
        cpic = await insurer_contacts(s, svc, chat_id=CHAT, township="HS", insurer="CPIC")
    assert [uid for uid, _ in picc_day] == [3]  # the day adjuster, not the supervisor
    # 10:00: PINGAN's adjuster and supervisor are both off; the supervisor is pinged anyway.
    assert [uid for uid, _ in pingan_day] == [7]
    assert [uid for uid, _ in pingan_nine] == [6]
    assert cpic == []  # no one at all


async def test_insurer_contacts_prefer_an_on_duty_supervisor(svc: Services):
    svc.clock.advance(hours=13)  # 23:00 local: PICC's night adjuster is on
    async with svc.db.session() as s:
        assert [
            u
            for u, _ in await insurer_contacts(s, svc, chat_id=CHAT, township="HS", insurer="PICC")
        ] == [4]
    night_off = svc.deployment.model_copy(
        update={"people": tuple(p for p in PEOPLE if p.user_id != 4)}
    )
    svc.deployment = night_off
    async with svc.db.session() as s:
        found = await insurer_contacts(s, svc, chat_id=CHAT, township="HS", insurer="PICC")
    assert [u for u, _ in found] == [5]  # off duty, but the only one left


async def test_grants_of_merges_sources_and_never_believes_an_admin_row(svc: Services):
    await _members(
        svc,
        _member(3, "adjuster", "PICC"),  # the same as the file: shown once
        _member(3, "police"),
        _member(3, "admin"),  # forged or stale: ignored
        _member(3, "liaison", chat=OTHER_CHAT),
        _member(3, "wizard"),  # unknown role: ignored
    )
    async with svc.db.session() as s:
        plain = await grants_of(s, svc, chat_id=CHAT, user_id=3, township="HS")
        admin = await grants_of(s, svc, chat_id=CHAT, user_id=3, township="HS", chat_admin=True)
        nobody = await grants_of(s, svc, chat_id=CHAT, user_id=99, township="HS")
        elsewhere = await grants_of(s, svc, chat_id=OTHER_CHAT, user_id=2, township="SB")
    assert plain == [
        Grant(Role.ADJUSTER, "PICC", "deployment", ("08:00-18:00",), "白班定损"),
        Grant(Role.POLICE, None, "chat", (), "群员3"),
    ]
    assert admin[-1] == Grant(Role.ADMIN, source="telegram")
    assert not may(Action.ROLES_MANAGE, plain) and may(Action.ROLES_MANAGE, admin)
    assert nobody == []
    assert elsewhere == []  # 2 is police of HS only


async def test_deployment_admins_are_admins(svc: Services):
    svc.deployment = svc.deployment.model_copy(
        update={"people": (*PEOPLE, Person(user_id=8, name="县管理员", role="admin"))}
    )
    async with svc.db.session() as s:
        grants = await grants_of(s, svc, chat_id=CHAT, user_id=8, township="HS")
    assert [g.role for g in grants] == [Role.ADMIN] and may(Action.ROLES_MANAGE, grants)
