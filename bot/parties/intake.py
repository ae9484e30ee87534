"""Text in a case thread: the answer to a pending question, or a quick-form line."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel import outbox, questions
from bot.kernel.buttons import grid
from bot.kernel.incoming import IncomingText
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import changes, readiness, store
from bot.parties.asking import ask_next_estimate, ask_next_for_party, vehicle_cells
from bot.parties.labels import LABELS, allowed, parse_label
from bot.parties.quickform import QuickForm, parse_phone
from bot.rules.amounts import AmountError, format_fen, parse_amount
from bot.rules.cleaning import clean_text, clip
from bot.rules.plates import PLATE_EXAMPLE, normalize_plate
from storage import queries as q
from storage.models import Case, MessageInput, Party, PendingInput

_NAME = re.compile(r"^[\u4e00-\u9fff·A-Za-z]{2,12}$")
# What a quick-form line is remembered as (the questions are remembered by their code).
QUICK_FORM = "quick_form"
NEXT_QUESTION = {"plate": "insurer", "insurer": "driver", "driver": "vehicle", "vehicle": None}


async def apply_quick_form(
    session: AsyncSession, svc: Services, case: Case, form: QuickForm, m: IncomingText
) -> str:
    """Set what a quick-form line says about a party."""
    assert case.id is not None
    if not allowed(form.label, svc.deployment.rules.max_parties):
        outbox.say(session, svc, case, party_limit_text(svc), reply_to=m.message_id)
        return "refused"
    if form.unknown:
        outbox.say(
            session,
            svc,
            case,
            t("err.quick", svc.language, tokens=clip(" ".join(form.unknown))),
            reply_to=m.message_id,
        )
        return "refused"
    party = await store.party(session, case_id=case.id, label=form.label)
    fields = {
        k: v
        for k, v in (
            ("plate", form.plate),
            ("insurer_code", form.insurer),
            ("phone", form.phone),
            ("driver_name", form.driver_name),
            ("vehicle_type", form.vehicle_type),
            ("policy_number", form.policy_number),
        )
        if v is not None
    }
    await set_fields(session, svc, case, party, actor=m.user_id, source="quick_form", **fields)
    remember(session, svc, case, m, question=QUICK_FORM, label=form.label)
    pending = await questions.pending_for(
        session, case_id=case.id, user_id=m.user_id, now=svc.clock.now()
    )
    if (
        pending is not None
        and pending.party_label == form.label
        and readiness.party_complete(party)
    ):
        await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
    # A complete party shows on the card; the group gets no "✅ complete" message for it.
    if not readiness.party_complete(party):
        await ask_next_for_party(session, svc, case, party, m.user_id, m.user_name, m.message_id)
    return "quick_form"


def remember(
    session: AsyncSession,
    svc: Services,
    case: Case,
    m: IncomingText,
    *,
    question: str,
    label: str | None,
) -> None:
    """Note what a message was taken as, so that Telegram's edit of it can correct that."""
    assert case.id is not None
    session.add(
        MessageInput(
            chat_id=m.chat_id,
            message_id=m.message_id,
            case_id=case.id,
            user_id=m.user_id,
            question=question,
            party_label=label,
            at=svc.clock.now(),
        )
    )


def party_limit_text(svc: Services) -> str:
    """Why no further party can be added: the deployment's limit, politely."""
    most = svc.deployment.rules.max_parties
    return t("err.party_limit", svc.language, max=most, first=LABELS[0], last=LABELS[most - 1])


async def set_fields(
    session: AsyncSession,
    svc: Services,
    case: Case,
    party: Party,
    *,
    actor: int | None,
    source: str,
    **fields: object,
) -> None:
    """Change a party's fields, flag a repeat plate or phone, and run what follows a change."""
    for key, value in fields.items():
        setattr(party, key, value)
    session.add(party)
    await session.flush()
    await flag_repeats(session, svc, case, party, actor=actor)
    await changes.changed(
        session,
        svc,
        case,
        actor=actor,
        kind="party.updated",
        label=party.label,
        source=source,
        fields=sorted(fields),
    )


async def flag_repeats(
    session: AsyncSession, svc: Services, case: Case, party: Party, *, actor: int | None
) -> None:
    """Audit a plate or phone seen in another case within the configured window."""
    hours = svc.deployment.rules.repeat_accident_window_hours
    since = case.opened_at - timedelta(hours=hours)
    assert case.id is not None
    for other, what in await store.recent_cases_with(
        session, case_id=case.id, since=since, plate=party.plate, phone=party.phone
    ):
        q.audit(
            session,
            at=svc.clock.now(),
            kind="party.repeat_flagged",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=actor,
            label=party.label,
            what=what,
            other_case=other.number,
        )


def _listed_vehicle(svc: Services, text: str) -> str | None:
    """The deployment's vehicle type a typed answer names (ignoring case and spaces)."""
    key = text.replace(" ", "").casefold()
    return next(
        (v for v in svc.deployment.rules.vehicle_types if v.replace(" ", "").casefold() == key),
        None,
    )


def _driver_tokens(text: str) -> tuple[list[str], list[str], bool]:
    """Phones and names in a reply, and whether every token was one of them."""
    tokens = text.replace("，", " ").split()
    phones = [p for p in (parse_phone(tok) for tok in tokens) if p]
    names = [tok for tok in tokens if _NAME.match(tok)]
    return phones, names, len(tokens) == len(phones) + len(names)


async def answer(
    session: AsyncSession, svc: Services, case: Case, pending: PendingInput, m: IncomingText
) -> str:
    """Take a reply to a pending question; a bad reply gets one clear line and changes nothing."""
    assert case.id is not None
    if pending.question == "other":
        return await answer_other(session, svc, case, m, expected=None)
    label = pending.party_label or "甲"
    existed = await store.has_party(session, case_id=case.id, label=label)
    party = await store.party(session, case_id=case.id, label=label)
    refused = await take_answer(session, svc, case, party, pending.question, m, source="reply")
    if refused is not None:
        if not existed:
            # A refused reply leaves the case as it was: no empty party on the card,
            # asking for that party's details and confirmation.
            await session.delete(party)
        return refused
    remember(session, svc, case, m, question=pending.question, label=label)
    if pending.question == "estimate":
        await ask_next_estimate(session, svc, case, m.user_id, m.user_name, m.message_id)
        return "answered"
    await ask_next_for_party(session, svc, case, party, m.user_id, m.user_name, m.message_id)
    return "answered"


async def take_answer(
    session: AsyncSession,
    svc: Services,
    case: Case,
    party: Party,
    question: str,
    m: IncomingText,
    *,
    source: str,
) -> str | None:
    """Set the field a reply to `question` names; "refused" (after saying why) or None."""
    lang, text, label = svc.language, clean_text(m.text), party.label
    if question == "plate":
        plate = normalize_plate(text)
        if plate is None:
            return refuse_input(
                session,
                svc,
                case,
                m,
                t("err.plate", lang, text=clip(text, 20), example=PLATE_EXAMPLE),
            )
        await set_fields(session, svc, case, party, actor=m.user_id, source=source, plate=plate)
    elif question == "insurer":
        found = svc.deployment.find_insurer(text)
        if found is None:
            return refuse_input(session, svc, case, m, t("err.insurer", lang, text=clip(text, 20)))
        await set_fields(
            session, svc, case, party, actor=m.user_id, source=source, insurer_code=found.code
        )
    elif question in ("driver", "name", "phone"):
        phones, names, all_known = _driver_tokens(text)
        # The driver question needs the phone (the name may follow); "name" and "phone" ask
        # for the one thing missing but also take both, as people often type both anyway.
        needed = {"driver": phones, "phone": phones, "name": names}[question]
        if not needed or len(phones) > 1 or len(names) > 1 or not all_known:
            return refuse_input(session, svc, case, m, t(f"err.{question}", lang))
        fields: dict[str, object] = {}
        if phones:
            fields["phone"] = phones[0]
        if names:
            fields["driver_name"] = names[0]
        await set_fields(session, svc, case, party, actor=m.user_id, source=source, **fields)
    elif question == "vehicle":
        kind = _listed_vehicle(svc, text)
        if kind is None and svc.deployment.rules.free_text_vehicle_types and text:
            kind = clip(text, 20)
        if kind is None:
            say_again = await vehicle_cells(session, svc, case, label)
            outbox.say(
                session,
                svc,
                case,
                t("err.vehicle", lang, text=clip(text, 20)),
                reply_to=m.message_id,
                buttons=grid(say_again, 3),
            )
            return refuse_audit(session, svc, case, m)
        await set_fields(
            session, svc, case, party, actor=m.user_id, source=source, vehicle_type=kind
        )
    elif question == "estimate":
        ceiling = svc.deployment.rules.fast_path_ceiling_fen
        try:
            fen = parse_amount(m.text, ceiling_fen=ceiling)
        except AmountError as exc:
            return refuse_input(session, svc, case, m, amount_error_text(svc, exc, m.text))
        await set_fields(
            session, svc, case, party, actor=m.user_id, source=source, estimate_fen=fen
        )
    return None


def refuse_input(
    session: AsyncSession, svc: Services, case: Case, m: IncomingText, text: str
) -> str:
    outbox.say(session, svc, case, text, reply_to=m.message_id)
    return refuse_audit(session, svc, case, m)


def refuse_audit(session: AsyncSession, svc: Services, case: Case, m: IncomingText) -> str:
    q.audit(
        session,
        at=svc.clock.now(),
        kind="input.refused",
        case_id=case.id,
        chat_id=case.chat_id,
        actor=m.user_id,
        text=m.text[:100],
    )
    return "refused"


def amount_error_text(svc: Services, exc: AmountError, text: str) -> str:
    """One clear line for a refused amount."""
    ceiling = format_fen(exc.ceiling_fen) if exc.ceiling_fen else ""
    return t(f"err.amount.{exc.code.value}", svc.language, text=clip(text, 20), ceiling=ceiling)


async def answer_other(
    session: AsyncSession, svc: Services, case: Case, m: IncomingText, *, expected: str | None
) -> str:
    """`甲 300`: other property damage of a party; an edit (`expected`) keeps its party."""
    assert case.id is not None
    parts = clean_text(m.text).split()
    label = parse_label(parts[0]) if len(parts) == 2 else None
    if label is None:
        return refuse_input(session, svc, case, m, t("err.other", svc.language))
    if expected is not None and label != expected:
        return refuse_input(
            session, svc, case, m, t("edit.other_party", svc.language, label=expected)
        )
    if not allowed(label, svc.deployment.rules.max_parties):
        return refuse_input(session, svc, case, m, party_limit_text(svc))
    try:
        fen = parse_amount(parts[1], ceiling_fen=svc.deployment.rules.fast_path_ceiling_fen)
    except AmountError as exc:
        return refuse_input(session, svc, case, m, amount_error_text(svc, exc, parts[1]))
    party = await store.party(session, case_id=case.id, label=label)
    source = "reply" if expected is None else "edit"
    await set_fields(
        session, svc, case, party, actor=m.user_id, source=source, other_property_fen=fen
    )
    if expected is None:
        remember(session, svc, case, m, question="other", label=label)
        await questions.clear_pending(session, case_id=case.id, user_id=m.user_id)
    return "answered"
