"""/agreement in a case thread: the PDF arrives in the thread, downloadable, valid, with
the case number and the parties' Chinese text; people without a role are refused."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader
from sqlmodel import select

from bot.compose.app import Runtime
from storage.models import AuditEvent, CaseMessage, InsurerClaim, InsurerPayment
from tests.e2e.conftest import World, eventually
from tests.e2e.flows import drive_to_ready
from tests.e2e.helpers import bot_messages, text_of


def documents(world: World, chat: int, thread: int | None = None) -> list[dict]:
    return [m for m in bot_messages(world.sb, chat, thread) if m.get("document")]


async def download(bot: Runtime, file_id: str) -> bytes:
    """Fetch a file the way any client does: getFile, then the file URL."""
    file = await bot.app.bot.get_file(file_id)
    return bytes(await file.download_as_bytearray())


async def audit_kinds(bot: Runtime, case_id: int) -> list[str]:
    async with bot.services.db.session() as s:
        stmt = select(AuditEvent.kind).where(AuditEvent.case_id == case_id)
        return list((await s.exec(stmt)).all())


@pytest.mark.parametrize("forum", [True, False], ids=["forum", "plain"])
async def test_agreement_command_posts_the_pdf_in_the_case_thread(
    world: World, bot: Runtime, forum: bool
):
    sb = world.sb
    chat = world.forum if forum else world.plain
    case = await drive_to_ready(world, bot, chat)
    thread = case.message_thread_id if forum else None
    assert not documents(world, chat)

    # A villager with no role asks: refused in the thread, nothing posted.
    anchor = None if forum else case.card_message_id
    sb.send_text(chat, world.villager, "/agreement", thread_id=thread, reply_to=anchor)
    await sb.wait_for(
        lambda: any("只有协理员" in text_of(m) for m in bot_messages(sb, chat, thread)), timeout=10
    )
    assert "agreement.refused" in await audit_kinds(bot, case.id)

    # The assistant asks: the PDF arrives in the case's thread.
    command = sb.send_text(chat, world.assistant, "/agreement", thread_id=thread, reply_to=anchor)
    await sb.wait_for(lambda: bool(documents(world, chat)), timeout=15)
    [message] = documents(world, chat)
    assert not documents(world, world.forum if not forum else world.plain)
    if forum:
        assert message["message_thread_id"] == case.message_thread_id
        assert message in documents(world, chat, case.message_thread_id)
    else:  # the reply chain: it answers the /agreement message, which answers the card
        assert message["reply_to_message_id"] == command["message_id"]
    doc = message["document"]
    assert doc["file_name"] == f"{case.number}-协议书.pdf"
    assert doc["mime_type"] == "application/pdf"
    assert case.number in text_of(message) and "草稿" in text_of(message)

    # Downloadable through the Bot API, and a valid PDF with the case's facts.
    pdf = await download(bot, doc["file_id"])
    assert pdf.startswith(b"%PDF-") and len(pdf) == doc["file_size"]
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        case.number,
        "机动车交通事故快速处理协议书",
        "张*",  # the copy in the group is masked like the card
        "李*",
        "138****1111",
        "湘C12345",
        "湘C67890",
        "平安产险",
        "人保财险",
        "未保持安全车距与前车追尾",
        "追尾碰撞",
        "全部责任",
        "无责任",
        "¥1,500.00",
        "¥2,000.00",
        "本人Telegram账号确认",
        "纸质签字确认",
    ):
        assert expected in text, expected
    assert "张三" not in text and "13800001111" not in text

    # The message belongs to the case; the audit log says who asked; the file is on disk.
    async def linked() -> bool:
        async with bot.services.db.session() as s:
            return await s.get(CaseMessage, (chat, message["message_id"])) is not None

    await eventually(linked)
    async with bot.services.db.session() as s:
        link = await s.get(CaseMessage, (chat, message["message_id"]))
        posted = (
            await s.exec(
                select(AuditEvent).where(
                    AuditEvent.case_id == case.id, AuditEvent.kind == "agreement.posted"
                )
            )
        ).one()
    assert link is not None and link.case_id == case.id and link.kind == "send_document"
    assert posted.actor_user_id == world.assistant
    stored = bot.services.media_dir / posted.data["path"]
    assert stored.read_bytes() == pdf

    # The insurer's decision as the insurer loop stores it (written directly here: the
    # loop's own tests drive it); a group admin (Telegram says so) asks again.
    now = bot.services.clock.now()
    async with bot.services.db.transaction() as s:
        claim = InsurerClaim(
            case_id=case.id,
            insurer_code="PINGAN",
            round=99,
            status="approved",
            requested_fen=550_000,
            approved_fen=540_000,
            claim_no="RPAA2026112900123",
            assessed_fen=530_000,
            decided_at=now,
            created_at=now,
        )
        s.add(claim)
        await s.flush()
        for amount, ref in ((300_000, "转账一"), (240_000, "转账二")):
            s.add(
                InsurerPayment(
                    claim_id=claim.id,
                    case_id=case.id,
                    amount_fen=amount,
                    reference=ref,
                    at=now,
                    by=world.admin,
                )
            )
    sb.send_text(chat, world.admin, "/agreement", thread_id=thread, reply_to=anchor)
    await sb.wait_for(lambda: len(documents(world, chat)) == 2, timeout=15)
    second = await download(bot, documents(world, chat)[-1]["document"]["file_id"])
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(second)).pages)
    for expected in ("RPAA2026112900123", "同意", "¥5,400.00", "¥5,300.00", "¥3,000.00 转账一"):
        assert expected in text, expected


async def test_agreement_outside_a_case_thread_is_explained(world: World, bot: Runtime):
    sb = world.sb
    await drive_to_ready(world, bot, world.plain)
    sb.send_text(world.plain, world.assistant, "/agreement")  # not in any reply chain
    await sb.wait_for(
        lambda: any("请在案件话题" in text_of(m) for m in bot_messages(sb, world.plain)),
        timeout=10,
    )
    assert not documents(world, world.plain)
