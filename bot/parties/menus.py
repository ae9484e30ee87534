"""Button menus posted in a case thread (liability situations, grades)."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.kernel.buttons import case_button, grid
from bot.kernel.services import Services
from bot.parties import store
from bot.rules.liability import Grade
from bot.rules.presets import PRESETS, PresetCategory
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
    return [
        [
            [f"{label}方", await case_button(session, svc, case, "liab.party", label=label)]
            for label in labels
        ]
    ]


async def situation_items(
    session: AsyncSession, svc: Services, case: Case, label: str, *, everything: bool
) -> Rows:
    """Second step: the situations for one party (common ones, or all of them)."""
    presets = [p for p in PRESETS if everything or p.code in COMMON]
    buttons = [
        [
            p.label_zh if len(p.label_zh) <= 12 else p.label_zh[:11] + "…",
            await case_button(session, svc, case, "liab.preset", label=label, preset=p.code),
        ]
        for p in presets
    ]
    rows = grid(buttons, 2)
    if not everything:
        rows.append(
            [
                [
                    "更多…",
                    await case_button(
                        session, svc, case, "liab.party", label=label, everything=True
                    ),
                ]
            ]
        )
    rows.append([["‹ 返回", await case_button(session, svc, case, "liab.menu")]])
    return rows


async def grade_rows(session: AsyncSession, svc: Services, case: Case) -> Rows:
    """One row per party with the five grades."""
    assert case.id is not None
    labels = [p.label for p in await store.parties_of(session, case_id=case.id)] or ["甲", "乙"]
    rows: Rows = []
    for label in labels:
        rows.append(
            [
                [
                    f"{label}{g.label_zh}",
                    await case_button(session, svc, case, "liab.grade", label=label, grade=g.value),
                ]
                for g in Grade
            ]
        )
    return rows


def category_of(code: str) -> PresetCategory | None:
    """The category of a preset code."""
    return next((p.category for p in PRESETS if p.code == code), None)
