"""The parties' own confirmation: a deep link into a private chat, or paper."""

from __future__ import annotations

import secrets

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import guard
from bot.case.status import EDITABLE
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
from storage.models import Button, Case, ContactRequest, Party

START_PREFIX = "cf_"
# Stored outbox rows: a reply keyboard asking for the contact, and its removal.
REMOVE_KEYBOARD = [[["", "remove:"]]]


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
        label = t("parties.links.button", svc.language, label=party.label)
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
        outbox.say(session, svc, case, t("parties.links.intro", svc.language), buttons=rows)
    return PressResult(t("parties.ack.saved", svc.language))


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
    return PressResult(t("parties.ack.saved", svc.language))


def _confirm(party: Party, svc: Services, *, via: str, by: int) -> None:
    party.confirmed_at, party.confirmed_via, party.confirmed_by = svc.clock.now(), via, by
    party.refused_at = None


async def open_link(svc: Services, *, token: str, chat_id: int, user_id: int) -> str:
    """A driver opened their deep link: show the summary with confirm/refuse buttons."""

    async def work(session: AsyncSession) -> str:
        now = svc.clock.now()
        party = (await session.exec(select(Party).where(Party.confirm_token == token))).first()
        case = await session.get(Case, party.case_id) if party else None
        if party is None or case is None or case.status not in EDITABLE:
            private_say(session, svc, chat_id, t("confirm.unknown", svc.language))
            return "unknown"
        if party.confirmed_by not in (None, user_id) and party.confirmed_via == "telegram":
            private_say(session, svc, chat_id, t("confirm.taken", svc.language))
            return "taken"
        text = await summary(session, svc, case, party)
        rows = [
            [
                [
                    t("parties.b.confirm_yes", svc.language),
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
                    t("parties.b.confirm_no", svc.language),
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
        private_say(session, svc, chat_id, text, rows)
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


def private_say(
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
    """The driver confirms or refuses; with the contact check, once their contact proves it."""
    party = await session.get(Party, button.args["party"])
    case = await session.get(Case, button.case_id) if button.case_id else None
    refusal = await refusal_for(session, svc, party, case, button.args["token"], press.user_id)
    if refusal is not None:
        return PressResult(refusal, alert=True)
    assert party is not None and case is not None and party.id is not None
    agree = bool(button.args["value"])
    if not svc.deployment.rules.confirm_by_contact:
        reply = await record_answer(session, svc, case, party, agree=agree, by=press.user_id)
        private_say(session, svc, press.chat_id, reply)
        return PressResult(reply)
    # Holding the link proves nothing (it is posted in the group): the answer waits for the
    # driver's own contact, whose number must be the one on the case.
    request = await session.get(ContactRequest, press.user_id)
    if request is None:
        request = ContactRequest(
            user_id=press.user_id,
            party_id=party.id,
            token="",
            agree=agree,
            asked_at=svc.clock.now(),
        )
    request.party_id, request.token, request.agree = party.id, party.confirm_token or "", agree
    request.asked_at = svc.clock.now()
    session.add(request)
    q.audit(
        session,
        at=svc.clock.now(),
        kind="confirm.contact_asked",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=press.user_id,
        label=party.label,
    )
    text = t("confirm.share_contact", svc.language, label=party.label)
    private_say(
        session,
        svc,
        press.chat_id,
        text,
        [[[t("parties.b.share_contact", svc.language), "contact:"]]],
    )
    return PressResult(t("confirm.share_contact_short", svc.language))


async def refusal_for(
    session: AsyncSession,
    svc: Services,
    party: Party | None,
    case: Case | None,
    token: str,
    user_id: int,
) -> str | None:
    """Why this account may not answer for this party now; None when it may."""
    if party is None or case is None or case.status not in EDITABLE:
        return t("confirm.unknown", svc.language)
    if party.confirm_token != token:
        # The facts changed since the summary was shown: it must be read again.
        return t("confirm.changed", svc.language)
    if party.confirmed_via == "telegram" and party.confirmed_by not in (None, user_id):
        return t("confirm.taken", svc.language)
    assert case.id is not None
    for other in await store.parties_of(session, case_id=case.id):
        if (
            other.id != party.id
            and other.confirmed_via == "telegram"
            and other.confirmed_by == user_id
        ):
            q.audit(
                session,
                at=svc.clock.now(),
                kind="confirm.refused_second_party",
                case_id=case.id,
                chat_id=case.chat_id,
                actor=user_id,
                label=party.label,
                answered=other.label,
            )
            return t("confirm.one_party", svc.language, label=other.label)
    return None


async def record_answer(
    session: AsyncSession, svc: Services, case: Case, party: Party, *, agree: bool, by: int
) -> str:
    if agree:
        _confirm(party, svc, via="telegram", by=by)
        reply, kind = t("confirm.done", svc.language), "party.confirmed"
    else:
        party.refused_at, party.confirmed_at = svc.clock.now(), None
        party.confirmed_by, party.confirmed_via = by, "telegram"
        reply, kind = t("confirm.refused", svc.language), "party.refused"
    session.add(party)
    await changes.changed(
        session,
        svc,
        case,
        actor=by,
        kind=kind,
        substantive=False,
        label=party.label,
        via="telegram",
    )
    return reply


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
                compute(rule_parties, policy_from(svc.deployment.compensation)),
                names,
                svc.language,
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
        grade=t(f"grade.{grade.value}", svc.language) if grade else "?",
        estimate=format_fen(party.estimate_fen) if party.estimate_fen is not None else "?",
        money=Raw("<i>" + money + "</i>") if money else "",
    )


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "confirm.links": send_links,
    "confirm.paper": paper,
    "confirm.answer": answer,
}
