"""Button menus posted in a case thread (liability situations, grades)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel import outbox
from bot.kernel.buttons import case_button, grid
from bot.kernel.services import Services
from bot.kernel.texts import t
from bot.parties import store
from bot.rules.liability import Grade
from bot.rules.presets import PRESETS, Preset, PresetCategory
from storage.models import Case

Rows = list[list[list[str]]]
# The situations assistants meet most; the rest are one tap further ("更多…").
COMMON = (
    "rear_end",
    "wrong_way",
    "reversing",
    "rolling",
    "door",
    "signal.red_light",
    "yield.lane_change",
    "yield.turn_vs_straight",
    "yield.u_turn",
    "yield.enter_main_road",
)


async def situation_parties(session: AsyncSession, svc: Services, case: Case) -> Rows:
    """First step: which party has a listed violation."""
    assert case.id is not None
    labels = [p.label for p in await store.parties_of(session, case_id=case.id)] or ["甲", "乙"]
    lang = await outbox.chat_language(session, svc, case.chat_id)
    return [
        [
            [
                t("parties.party", lang, label=label),
                await case_button(session, svc, case, "liab.party", label=label),
            ]
            for label in labels
        ]
    ]


async def situation_items(
    session: AsyncSession, svc: Services, case: Case, label: str, *, everything: bool
) -> Rows:
    """Second step: the situations for one party (common ones, or all of them)."""
    presets = [p for p in PRESETS if everything or p.code in COMMON]
    lang = await outbox.chat_language(session, svc, case.chat_id)
    buttons = [
        [
            _short(preset_label(p, lang)),
            await case_button(session, svc, case, "liab.preset", label=label, preset=p.code),
        ]
        for p in presets
    ]
    rows = grid(buttons, 2)
    if not everything:
        rows.append(
            [
                [
                    t("parties.menu.more", lang),
                    await case_button(
                        session, svc, case, "liab.party", label=label, everything=True
                    ),
                ]
            ]
        )
    rows.append(
        [[t("parties.menu.back", lang), await case_button(session, svc, case, "liab.menu")]]
    )
    return rows


async def grade_rows(session: AsyncSession, svc: Services, case: Case) -> Rows:
    """One row per party with the five grades."""
    assert case.id is not None
    labels = [p.label for p in await store.parties_of(session, case_id=case.id)] or ["甲", "乙"]
    lang = await outbox.chat_language(session, svc, case.chat_id)
    rows: Rows = []
    for label in labels:
        rows.append(
            [
                [
                    t("parties.grade_button", lang, label=label, grade=t(f"grade.{g.value}", lang)),
                    await case_button(session, svc, case, "liab.grade", label=label, grade=g.value),
                ]
                for g in Grade
            ]
        )
    return rows


def preset_label(preset: Preset, lang: str) -> str:
    """A liability situation's name in the chat's language."""
    return preset.label_en if lang == "en" else preset.label_zh


def _short(label: str, width: int = 12) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def category_of(code: str) -> PresetCategory | None:
    """The category of a preset code."""
    return next((p.category for p in PRESETS if p.code == code), None)
