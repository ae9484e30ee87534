"""One case as a line of a reminder or of /overdue: its link, its stage, how late."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from bot.kernel.services import Services
from bot.kernel.texts import Raw, t
from bot.rules.ladder import thread_link
from bot.rules.sla import Stage
from bot.timeline.format import format_duration
from storage.models import Case, StageClock


def stage_label(svc: Services, row: StageClock, lang: str) -> dict[str, str]:
    """The `stage` and `insurer` values of a clock's texts."""
    insurer = (
        t("sla.insurer", lang, name=svc.insurer_name(row.insurer_code)) if row.insurer_code else ""
    )
    return {"stage": t(f"sla.stage.{Stage(row.stage).value}", lang), "insurer": Raw(insurer)}


def case_line(svc: Services, case: Case, row: StageClock, *, late: timedelta, lang: str) -> str:
    """`· HS-… 保险响应（人保）：已超时 12分钟` (a negative `late`: time left)."""
    link = thread_link(
        case.chat_id, topic_id=case.message_thread_id, message_id=case.card_message_id
    )
    shown = f'<a href="{escape(link)}">{escape(case.number)}</a>' if link else escape(case.number)
    key = "sla.line.overdue" if late >= timedelta(0) else "sla.line.left"
    return t(
        key,
        lang,
        case=Raw(shown),
        span=format_duration(abs(late), lang),
        **stage_label(svc, row, lang),
    )
