"""What the areas contribute, gathered in one place by the wiring (bot/compose/wiring.py).

Use cases find a button's action, the card's sections and the answer to a pending question
here, so nothing registers itself on import and the wiring shows what the bot does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from bot.kernel.buttons import ButtonAction
    from bot.kernel.incoming import IncomingText
    from bot.kernel.services import Services
    from storage.models import Case, PendingInput

    # A card section: its part of the card, or None (the part type is the case card's).
    Section = Callable[[AsyncSession, Services, Case], Awaitable[Any]]
    Answer = Callable[[AsyncSession, Services, Case, PendingInput, IncomingText], Awaitable[str]]


@dataclass(frozen=True)
class Registry:
    """Buttons by action name, card sections in card order, answers by question prefix."""

    buttons: Mapping[str, ButtonAction] = field(default_factory=dict)
    chat_admin_buttons: frozenset[str] = frozenset()
    sections: tuple[Section, ...] = ()
    answers: tuple[tuple[str, Answer], ...] = ()

    def answer_for(self, question: str) -> Answer | None:
        """The area's answer to a question code, or None for the parties' own questions."""
        return next((fn for prefix, fn in self.answers if question.startswith(prefix)), None)
