"""Asking about a party: the next missing fact, the question with its buttons, the next estimate."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel import outbox, questions
from bot.kernel.buttons import case_button, grid
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import store
from bot.rules.amounts import format_fen
from bot.rules.plates import PLATE_EXAMPLE
from storage.models import Case, Party


async def ask_next_for_party(
    session: AsyncSession,
    svc: Services,
    case: Case,
    party: Party,
    user_id: int,
    user_name: str,
    reply_to: int | None,
) -> None:
    """Ask the first thing still missing about a party."""
    if not party.plate:
        question = "plate"
    elif not party.insurer_code:
        question = "insurer"
    elif not (party.driver_name or party.phone):
        question = "driver"
    elif not party.driver_name:  # ask only for what is missing, not again for what was given
        question = "name"
    elif not party.phone:
        question = "phone"
    elif not party.vehicle_type:
        question = "vehicle"
    else:
        await questions.clear_pending(session, case_id=case.id or 0, user_id=user_id)
        return
    await ask_party_question(
        session, svc, case, party.label, question, user_id, user_name, reply_to
    )


async def ask_party_question(
    session: AsyncSession,
    svc: Services,
    case: Case,
    label: str,
    question: str,
    user_id: int,
    user_name: str,
    reply_to: int | None,
) -> None:
    """Ask one of the party questions, with buttons where a choice is quicker than typing."""
    cells: list[list[str]] = []
    if question == "insurer":
        for ins in svc.deployment.insurers:
            data = await case_button(
                session, svc, case, "party.insurer", label=label, insurer=ins.code
            )
            cells.append([ins.short_name, data])
    elif question == "vehicle":
        cells = await vehicle_cells(session, svc, case, label)
    buttons = grid(cells, 3)
    await outbox.ask(
        session,
        svc,
        case,
        user_id=user_id,
        user_name=user_name,
        question=question,
        label=label,
        reply_to=reply_to,
        buttons=buttons,
        example=PLATE_EXAMPLE,
    )


async def vehicle_cells(
    session: AsyncSession, svc: Services, case: Case, label: str
) -> list[list[str]]:
    cells = []
    for kind in svc.deployment.rules.vehicle_types:
        data = await case_button(session, svc, case, "party.vehicle", label=label, vehicle=kind)
        cells.append([kind, data])
    return cells


ESTIMATE_PROMPT = "ask:estimate"


async def ask_next_estimate(
    session: AsyncSession,
    svc: Services,
    case: Case,
    user_id: int,
    user_name: str,
    reply_to: int | None,
) -> None:
    """Ask for the next party's estimate, or close the question when all are in.

    The estimates are asked in one prompt: the first question is a new message, each answer
    edits it to show what was taken and ask the next one, and the last drops the question
    (a group is a shared room; docs/architecture.md, "Quiet threads").
    """
    assert case.id is not None
    lang = svc.language
    parties = await store.parties_of(session, case_id=case.id)
    labels = [p.label for p in parties] or ["甲", "乙"]
    known = {p.label: p.estimate_fen for p in parties if p.estimate_fen is not None}
    todo = [label for label in labels if label not in known]
    if reply_to is None:  # asked from the card's button: a fresh prompt
        if not todo:
            return
        await outbox.ask(
            session,
            svc,
            case,
            user_id=user_id,
            user_name=user_name,
            question="estimate",
            label=todo[0],
            ref=ESTIMATE_PROMPT,
        )
        return
    done = [
        t("parties.estimate_taken", lang, label=label, amount=format_fen(fen))
        for label, fen in known.items()
    ]
    if not todo:
        await questions.clear_pending(session, case_id=case.id, user_id=user_id)
        outbox.edit_ref(session, svc, case, ESTIMATE_PROMPT, "\n".join(done))
        return
    await questions.set_pending(
        session,
        case=case,
        user_id=user_id,
        question="estimate",
        label=todo[0],
        now=svc.clock.now(),
        lifetime=timedelta(minutes=svc.deployment.rules.pending_question_minutes),
    )
    question = t("q.estimate", lang, who=outbox.mention(user_id, user_name), label=todo[0])
    outbox.edit_ref(session, svc, case, ESTIMATE_PROMPT, "\n".join([*done, question]))
