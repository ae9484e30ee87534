"""The wiring table: everything each area contributes, listed in one place.

Buttons by action name, the case card's sections in the order they show, the text
catalogues, which area answers which pending question, the sender's extra outbox kinds,
and the after-change step. Nothing registers itself on import: a module missing here is
a module the bot does not use. `bot/compose/app.py` calls `wire`; tests call it too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.agreement import post as agreement_post
from bot.agreement import texts as agreement_texts
from bot.case import clocks
from bot.claims import buttons as claims_buttons
from bot.claims import card as claims_card
from bot.claims import replies as claims_replies
from bot.claims import rules as claims_rules
from bot.claims import texts as claims_texts
from bot.evidence import ask as evidence_ask
from bot.evidence import buttons as evidence_buttons
from bot.evidence import card as evidence_card
from bot.evidence import scene as evidence_scene
from bot.evidence import texts as evidence_texts
from bot.flows import opening, readiness
from bot.kernel import texts as kernel_texts
from bot.kernel.buttons import ButtonAction
from bot.kernel.registry import Registry
from bot.kernel.services import Services
from bot.liaison import export as liaison_export
from bot.liaison import texts as liaison_texts
from bot.parties import buttons as parties_buttons
from bot.parties import card as parties_card
from bot.parties import confirm as parties_confirm
from bot.parties import responsible as parties_responsible
from bot.parties import texts as parties_texts
from bot.police import buttons as police_buttons
from bot.police import card as police_card
from bot.police import checks as police_checks
from bot.police import replies as police_replies
from bot.police import texts as police_texts
from bot.roles import join as roles_join
from bot.roles import texts as roles_texts
from bot.sla import buttons as sla_buttons
from bot.sla import card as sla_card
from bot.sla import sweep as sla_sweep
from bot.sla import texts as sla_texts
from bot.timeline import texts as timeline_texts
from storage.models import OutboxItem

CATALOGUES: tuple[dict[str, dict[str, str]], ...] = (
    kernel_texts.TEXTS,
    evidence_texts.TEXTS,
    parties_texts.TEXTS,
    claims_texts.TEXTS,
    police_texts.TEXTS,
    roles_texts.TEXTS,
    timeline_texts.TEXTS,
    agreement_texts.TEXTS,
    sla_texts.TEXTS,
    liaison_texts.TEXTS,
    liaison_export.TEXTS,
)

BUTTON_TABLES: tuple[Mapping[str, ButtonAction], ...] = (
    evidence_buttons.BUTTONS,
    evidence_scene.BUTTONS,
    parties_buttons.BUTTONS,
    parties_confirm.BUTTONS,
    parties_responsible.BUTTONS,
    claims_buttons.BUTTONS,
    police_buttons.BUTTONS,
    roles_join.BUTTONS,
    opening.BUTTONS,
    sla_buttons.BUTTONS,
)
CHAT_ADMIN_BUTTONS = roles_join.CHAT_ADMIN_BUTTONS | parties_responsible.CHAT_ADMIN_BUTTONS

# The case card, top to bottom; "still missing" (readiness) is always last.
SECTIONS = (
    evidence_card.evidence_section,
    parties_card.parties_section,
    claims_card.claims_section,
    police_card.police_section,
    sla_card.sla_section,
    parties_card.readiness_section,
)

# Questions other areas ask in a case thread, by the prefix of their code; any other
# question is the parties' own (bot/flows/text_router.py).
ANSWERS = (
    (claims_rules.PENDING_PREFIX, claims_replies.answer_pending),
    (police_checks.CANCEL_QUESTION, police_replies.cancel_answer),
)

Deliver = Callable[[OutboxItem], Awaitable[None]]

# Outbox kinds the sender delivers after a chat's own traffic (bot/transport/sender.py).
BULK_KINDS = frozenset({sla_sweep.NOTICE_KIND, sla_sweep.CARD_KIND})


def buttons() -> dict[str, ButtonAction]:
    """Every button action by name; a name two areas claim is a wiring mistake."""
    merged: dict[str, ButtonAction] = {}
    for table in BUTTON_TABLES:
        clash = set(table) & set(merged)
        if clash:
            raise ValueError(f"button actions defined twice: {sorted(clash)}")
        merged.update(table)
    return merged


def install_texts() -> None:
    """Fill the text catalogue with every area's texts (idempotent)."""
    kernel_texts.install(*CATALOGUES)


def wire(svc: Services) -> None:
    """Give the services what the areas contribute."""
    install_texts()
    svc.registry = Registry(
        buttons=buttons(),
        chat_admin_buttons=CHAT_ADMIN_BUTTONS,
        sections=SECTIONS,
        answers=ANSWERS,
    )
    svc.after_change = readiness.after_change
    svc.before_commit = clocks.apply_noted


def sender_kinds(handlers: Mapping[str, Deliver], svc: Services) -> dict[str, Deliver]:
    """The outbox kinds areas add to the sender's own, built on the sender's deliveries."""
    return {
        **evidence_ask.sender_kinds(handlers["send_text"], svc),
        **agreement_post.sender_kinds(handlers["send_document"], svc),
        # The sweep's reminders and card refreshes: sent as what they are, after the chat's
        # own traffic (bot/transport/sender.py BULK).
        sla_sweep.NOTICE_KIND: handlers["send_text"],
        sla_sweep.CARD_KIND: handlers["edit_card"],
    }
