"""The parties' own confirmation: a deep link into a private chat, or paper."""

from __future__ import annotations

import secrets
from html import escape

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import guard
from bot.kernel import outbox
from bot.kernel.buttons import ButtonAction, Press, PressResult, button_data
from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.parties import changes, store
from bot.parties.money import compute, grade_of, policy_from, table_lines
from bot.rules.access import Action
from bot.rules.amounts import format_fen
from bot.rules.compensation import Party as RuleParty
from storage import queries as q
from storage.models import Button, Case, Party

START_PREFIX = "cf_"


def deep_link(bot_username: str, token: str) -> str:
    """The t.me link that opens the bot's private chat with /start <token>."""
    return f"https://t.me/{bot_username}?start={START_PREFIX}{token}"


async def send_links(
    session: AsyncSession, svc: Services, press: Press, button: Button
) -> PressResult:
    """Post one deep-link button per party that has not confirmed yet."""
    case = await guard.editable_case(
        session, svc, press, button, action=Action.FAST_PATH_CONFIRMATION
    )
    if isinstance(case, PressResult):
        return case
    assert case.id is not None  # editable_case returns stored cases only
    rows = []
    for party in await store.parties_of(session, case_id=case.id):
        if party.confirmed_at is not None:
            continue
        if party.confirm_token is None:
            party.confirm_token = secrets.token_urlsafe(12)
            session.add(party)
        label = t("links.button", svc.language, label=party.label)
        rows.append([[label, "url:" + deep_link(svc.bot_username, party.confirm_token)]])
    q.audit(
        session,
        at=svc.clock.now(),
        kind="confirm.links_sent",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
    )
    if rows:
        outbox.say(session, svc, case, t("links.intro", svc.language), buttons=rows)
    return PressResult(t("a.saved", svc.language))


async def paper(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """The assistant records a confirmation the driver signed on paper."""
    case = await guard.editable_case(
        session, svc, press, button, action=Action.FAST_PATH_CONFIRMATION
    )
    if isinstance(case, PressResult):
        return case
    assert case.id is not None  # editable_case returns stored cases only
    party = await store.party(session, case_id=case.id, label=button.args["label"])
    _confirm(party, svc, via="paper", by=press.user_id)
    session.add(party)
    await changes.changed(
        session,
        svc,
        case,
        actor=press.user_id,
        kind="party.confirmed",
        substantive=False,
        label=party.label,
        via="paper",
    )
    return PressResult(t("a.saved", svc.language))


def _confirm(party: Party, svc: Services, *, via: str, by: int) -> None:
    party.confirmed_at, party.confirmed_via, party.confirmed_by = svc.clock.now(), via, by
    party.refused_at = None


async def open_link(svc: Services, *, token: str, chat_id: int, user_id: int) -> str:
    """A driver opened their deep link: show the summary with confirm/refuse buttons."""

    async def work(session: AsyncSession) -> str:
        now = svc.clock.now()
        party = (await session.exec(select(Party).where(Party.confirm_token == token))).first()
        case = await session.get(Case, party.case_id) if party else None
        if party is None or case is None or case.status not in changes.EDITABLE:
            _private(session, svc, chat_id, t("confirm.unknown", svc.language))
            return "unknown"
        if party.confirmed_by not in (None, user_id) and party.confirmed_via == "telegram":
            _private(session, svc, chat_id, t("confirm.taken", svc.language))
            return "taken"
        text = await summary(session, svc, case, party)
        rows = [
            [
                [
                    t("b.confirm_yes", svc.language),
                    await button_data(
                        session,
                        now=now,
                        chat_id=chat_id,
                        case_id=case.id,
                        action_name="confirm.answer",
                        party=party.id,
                        token=token,
                        value=True,
                    ),
                ],
                [
                    t("b.confirm_no", svc.language),
                    await button_data(
                        session,
                        now=now,
                        chat_id=chat_id,
                        case_id=case.id,
                        action_name="confirm.answer",
                        party=party.id,
                        token=token,
                        value=False,
                    ),
                ],
            ]
        ]
        _private(session, svc, chat_id, text, rows)
        q.audit(
            session,
            at=now,
            kind="confirm.link_opened",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=user_id,
            label=party.label,
        )
        return "shown"

    return await svc.in_transaction(work)


def _private(
    session: AsyncSession, svc: Services, chat_id: int, text: str, rows: list | None = None
) -> None:
    q.enqueue(
        session,
        at=svc.clock.now(),
        chat_id=chat_id,
        kind="send_text",
        text=text,
        buttons=rows or [],
    )


async def answer(session: AsyncSession, svc: Services, press: Press, button: Button) -> PressResult:
    """The driver confirms or refuses from their own account."""
    party = await session.get(Party, button.args["party"])
    case = await session.get(Case, button.case_id) if button.case_id else None
    if party is None or case is None or case.status not in changes.EDITABLE:
        return PressResult(t("confirm.unknown", svc.language), alert=True)
    if party.confirm_token != button.args["token"]:
        # The facts changed since the summary was shown: it must be read again.
        return PressResult(t("confirm.changed", svc.language), alert=True)
    if party.confirmed_via == "telegram" and party.confirmed_by not in (None, press.user_id):
        return PressResult(t("confirm.taken", svc.language), alert=True)
    if button.args["value"]:
        _confirm(party, svc, via="telegram", by=press.user_id)
        reply, kind = t("confirm.done", svc.language), "party.confirmed"
    else:
        party.refused_at, party.confirmed_at = svc.clock.now(), None
        party.confirmed_by, party.confirmed_via = press.user_id, "telegram"
        reply, kind = t("confirm.refused", svc.language), "party.refused"
    session.add(party)
    await changes.changed(
        session,
        svc,
        case,
        actor=press.user_id,
        kind=kind,
        substantive=False,
        label=party.label,
        via="telegram",
    )
    _private(session, svc, press.chat_id, reply)
    return PressResult(reply)


async def summary(session: AsyncSession, svc: Services, case: Case, party: Party) -> str:
    """What the driver is asked to confirm: facts, grade, estimate and who pays what."""
    assert case.id is not None
    names = {i.code: i.short_name for i in svc.deployment.insurers}
    grade = grade_of(party.grade)
    parties = await store.parties_of(session, case_id=case.id)
    money = ""
    rule_parties = [
        RuleParty(p.label, p.insurer_code or "?", g, p.estimate_fen or 0, p.other_property_fen)
        for p in parties
        if (g := grade_of(p.grade)) is not None
    ]
    if len(rule_parties) == len(parties) >= 2:
        try:
            lines = table_lines(
                compute(rule_parties, policy_from(svc.deployment.compensation)), names
            )
            money = "\n".join(lines)
        except ValueError:
            money = ""
    return t(
        "confirm.summary",
        svc.language,
        number=case.number,
        township=svc.township_name(case.township_code),
        label=party.label,
        plate=party.plate or "?",
        insurer=names.get(party.insurer_code or "", "?"),
        grade=grade.label_zh if grade else "?",
        estimate=format_fen(party.estimate_fen) if party.estimate_fen is not None else "?",
        money=Raw("<i>" + escape(money) + "</i>") if money else "",
    )


# The buttons of this module, by action name (wired in bot/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "confirm.links": send_links,
    "confirm.paper": paper,
    "confirm.answer": answer,
}
