"""Button presses of the parties area: each re-checks the case before changing it."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.case import guard
from bot.kernel import outbox
from bot.kernel.buttons import ButtonAction, Press, PressResult
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import changes, eligibility, menus, readiness, store
from bot.parties.asking import ask_next_estimate, ask_next_for_party, ask_party_question
from bot.parties.intake import party_limit_text, set_fields
from bot.parties.labels import next_label
from bot.rules.liability import Grade, propose_grades
from bot.rules.presets import PRESETS_BY_CODE
from storage import queries as q
from storage.models import Button, Case


def _saved(svc: Services) -> PressResult:
    return PressResult(t("parties.ack.saved", svc.language))


async def edit_party(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Start (or resume) the questions about one party."""
    assert case.id is not None  # editable_case returns stored cases only
    party = await store.party(session, case_id=case.id, label=button.args["label"])
    await ask_next_for_party(session, svc, case, party, press.user_id, press.user_name, None)
    if readiness.party_complete(party):  # all known: start again from the plate to correct it
        await ask_party_question(
            session, svc, case, party.label, "plate", press.user_id, press.user_name, None
        )
    return _saved(svc)


async def add_party(
    session: AsyncSession, svc: Services, press: Press, _button: Button, case: Case
) -> PressResult:
    """Add another vehicle (丙, 丁, 戊 … up to rules.max_parties) and start asking about it."""
    assert case.id is not None  # editable_case returns stored cases only
    used = {p.label for p in await store.parties_of(session, case_id=case.id)} | {"甲", "乙"}
    label = next_label(used, svc.deployment.rules.max_parties)
    if label is None:  # the card drops the button at the limit; this is a press of an old one
        return PressResult(party_limit_text(svc), alert=True)
    for existing in ("甲", "乙"):
        await store.party(session, case_id=case.id, label=existing)
    party = await store.party(session, case_id=case.id, label=label)
    await changes.changed(session, svc, case, actor=press.user_id, kind="party.added", label=label)
    await ask_next_for_party(session, svc, case, party, press.user_id, press.user_name, None)
    return _saved(svc)


async def _choose(
    session: AsyncSession, svc: Services, press: Press, case: Case, label: str, **fields: object
) -> PressResult:
    """Set a party's field from a button, ask what is still missing, say when it is all in."""
    assert case.id is not None  # editable_case returns stored cases only
    party = await store.party(session, case_id=case.id, label=label)
    await set_fields(session, svc, case, party, actor=press.user_id, source="button", **fields)
    if press.message_id is not None and press.message_id != case.card_message_id:
        # The question is answered in place: its message shows the choice, without buttons;
        # the card shows the party complete (no "✅ complete" message in the group).
        chosen = " ".join(
            svc.insurer_name(str(v)) if k == "insurer_code" else str(v) for k, v in fields.items()
        )
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=case.chat_id,
            kind="edit_text",
            case_id=case.id,
            message_id=press.message_id,
            text=t("parties.ack.chosen", svc.language, label=label, value=chosen),
        )
    await ask_next_for_party(session, svc, case, party, press.user_id, press.user_name, None)
    return _saved(svc)


async def choose_insurer(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Set a party's compulsory insurer from the buttons."""
    label, insurer = button.args["label"], button.args["insurer"]
    return await _choose(session, svc, press, case, label, insurer_code=insurer)


async def choose_vehicle(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Set a party's vehicle type from the buttons."""
    label, vehicle = button.args["label"], button.args["vehicle"]
    return await _choose(session, svc, press, case, label, vehicle_type=vehicle)


async def answer_eligibility(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Record a yes/no answer; a failing one hands the case to the police."""
    code, value = button.args["question"], bool(button.args["value"])
    case.eligibility = {**case.eligibility, code: value}
    session.add(case)
    question = eligibility.BY_CODE[code]
    if value != question.fast:
        reasons = [
            t(f"parties.elig.a.{f.code}.{case.eligibility[f.code]}", svc.language)
            for f in eligibility.failures(case.eligibility)
        ]
        q.audit(
            session,
            at=svc.clock.now(),
            kind="eligibility.answered",
            case_id=case.id,
            chat_id=case.chat_id,
            actor=press.user_id,
            question=code,
            value=value,
        )
        await changes.hand_to_police(session, svc, case, actor=press.user_id, reasons=reasons)
        return _saved(svc)
    await changes.changed(
        session,
        svc,
        case,
        actor=press.user_id,
        kind="eligibility.answered",
        substantive=False,
        question=code,
        value=value,
    )
    return _saved(svc)


async def liability_menu(
    session: AsyncSession, svc: Services, press: Press, _button: Button, case: Case
) -> PressResult:
    """Post (or, pressed in the menu, show again) the first step of the situation menu."""
    rows = await menus.situation_parties(session, svc, case)
    _show_menu(session, svc, case, press, t("q.situation", svc.language), rows)
    return PressResult()


async def liability_party(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Show one party's situations in the menu message."""
    label = button.args["label"]
    rows = await menus.situation_items(
        session, svc, case, label, everything=bool(button.args.get("everything"))
    )
    _show_menu(session, svc, case, press, t("q.situation_party", svc.language, label=label), rows)
    return PressResult()


async def liability_preset(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Tag a party with a situation; the bot proposes grades from all tags."""
    assert case.id is not None  # editable_case returns stored cases only
    label, code = button.args["label"], button.args["preset"]
    parties = await store.parties_of(session, case_id=case.id)
    for existing in ("甲", "乙"):
        if existing not in {p.label for p in parties}:
            parties.append(await store.party(session, case_id=case.id, label=existing))
    for p in parties:
        if p.label == label:
            p.situations = [code]  # one situation per party keeps the proposal readable
            session.add(p)
    proposal = propose_grades({p.label: p.situations for p in parties})
    if proposal is not None:
        for p in parties:
            p.grade = proposal[p.label].value
            session.add(p)
        case.liability_source = "preset"
    await changes.changed(
        session,
        svc,
        case,
        actor=press.user_id,
        kind="liability.situation",
        label=label,
        preset=code,
        proposal={k: v.value for k, v in (proposal or {}).items()},
    )
    preset = PRESETS_BY_CODE.get(code)
    if preset is not None and press.message_id not in (None, case.card_message_id):
        # The picker has done its job: left with its buttons it reads as a question still
        # open, and a second tap would look like a second accident detail.
        chosen = t(
            "parties.ack.situation_chosen",
            svc.language,
            label=label,
            situation=menus.preset_label(preset, svc.language),
        )
        _show_menu(session, svc, case, press, chosen, [])
    return _saved(svc)


async def liability_direct_menu(
    session: AsyncSession, svc: Services, press: Press, _button: Button, case: Case
) -> PressResult:
    """Post the grade buttons, one row per party."""
    rows = await menus.grade_rows(session, svc, case)
    _show_menu(session, svc, case, press, t("q.direct", svc.language), rows)
    return PressResult()


async def liability_grade(
    session: AsyncSession, svc: Services, press: Press, button: Button, case: Case
) -> PressResult:
    """Set one party's grade by hand."""
    assert case.id is not None  # editable_case returns stored cases only
    party = await store.party(session, case_id=case.id, label=button.args["label"])
    party.grade = Grade(button.args["grade"]).value
    session.add(party)
    case.liability_source = "direct"
    await changes.changed(
        session,
        svc,
        case,
        actor=press.user_id,
        kind="liability.grade",
        label=party.label,
        grade=party.grade,
    )
    return _saved(svc)


async def estimate_ask(
    session: AsyncSession, svc: Services, press: Press, _button: Button, case: Case
) -> PressResult:
    """Ask the presser for the estimates, party by party."""
    await ask_next_estimate(session, svc, case, press.user_id, press.user_name, None)
    return _saved(svc)


async def other_ask(
    session: AsyncSession, svc: Services, press: Press, _button: Button, case: Case
) -> PressResult:
    """Ask the presser for other property damage."""
    await outbox.ask(
        session,
        svc,
        case,
        user_id=press.user_id,
        user_name=press.user_name,
        question="other",
        label=None,
    )
    return _saved(svc)


def _show_menu(
    session: AsyncSession, svc: Services, case: Case, press: Press, text: str, rows: menus.Rows
) -> None:
    # Pressed inside the menu message: edit it in place; pressed on the card: post it.
    if press.message_id is not None and press.message_id != case.card_message_id:
        q.enqueue(
            session,
            at=svc.clock.now(),
            chat_id=case.chat_id,
            kind="edit_text",
            case_id=case.id,
            message_id=press.message_id,
            text=text,
            buttons=rows,
        )
    else:
        outbox.say(session, svc, case, text, buttons=rows)


# The buttons of this module, by action name (wired in bot/compose/wiring.py).
BUTTONS: dict[str, ButtonAction] = {
    "party.edit": guard.fast_path(edit_party),
    "party.add": guard.fast_path(add_party),
    "party.insurer": guard.fast_path(choose_insurer),
    "party.vehicle": guard.fast_path(choose_vehicle),
    "elig.answer": guard.fast_path(answer_eligibility),
    "liab.menu": guard.fast_path(liability_menu),
    "liab.party": guard.fast_path(liability_party),
    "liab.preset": guard.fast_path(liability_preset),
    "liab.direct": guard.fast_path(liability_direct_menu),
    "liab.grade": guard.fast_path(liability_grade),
    "est.ask": guard.fast_path(estimate_ask),
    "other.ask": guard.fast_path(other_ask),
}
