"""Evidence intake end to end: real image files as photos and as documents, through sandbox/."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from bot.compose.app import Runtime
from bot.evidence.media import original_path, thumbnail_path
from tests.e2e.conftest import World, eventually
from tests.e2e.evidence_support import (
    audit,
    card_has,
    opened_case,
    photos,
    register,
    said,
    settled,
)
from tests.e2e.helpers import calls
from tests.evidence import samples

REFUSALS = {
    "truncated": "不完整或已损坏",
    "bomb": "图片尺寸异常",
    "pdf": "这不是照片",
    "empty": "文件是空的",
}


def _media_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def test_documents_are_checked_kept_once_and_refused_with_one_line(
    world: World, bot: Runtime
):
    sb = world.sb
    media = bot.services.media_dir
    await register(world, world.forum, "花石镇")
    now_local = bot.services.clock.now() + timedelta(hours=8)
    exif_jpeg = samples.jpeg(
        10, taken=now_local - timedelta(hours=1), offset="+08:00", gps=(27.5655, 112.7445)
    )
    sb.send_document(world.forum, world.assistant, exif_jpeg, file_name="IMG_0001.jpg")
    case = await opened_case(bot)
    topic = case.message_thread_id
    good = {
        "rotated": (samples.jpeg(11, size=(600, 300), orientation=6), "IMG_0002.jpg"),
        "png": (samples.png(12), "scene.png"),
        "webp": (samples.webp(13), "scene.webp"),
    }
    bad = {
        "truncated": (samples.truncated_jpeg(14), "IMG_0003.jpg"),
        "bomb": (samples.bomb_png(), "IMG_0004.png"),
        "pdf": (samples.pdf(), "IMG_0005.jpg"),  # a PDF renamed .jpg
        "empty": (b"", "IMG_0006.jpg"),
    }
    for data, name in [*good.values(), *bad.values()]:
        sb.send_document(world.forum, world.assistant, data, file_name=name, thread_id=topic)
    await eventually(lambda: _all_said(sb, world.forum, REFUSALS.values()))
    await settled(bot)

    kept = await photos(bot, case.id)
    assert len(kept) == 4 and all(p.status == "stored" for p in kept)
    assert {p.image_format for p in kept} == {"JPEG", "PNG", "WEBP"}
    first = kept[0]
    assert first.kind == "document" and first.has_metadata
    assert first.taken_offset == "+08:00"
    assert (
        abs((first.taken_at - (bot.services.clock.now() - timedelta(hours=1))).total_seconds())
        < 120
    )
    assert (round(first.gps_lat, 4), round(first.gps_lon, 4)) == (27.5655, 112.7445)
    # Originals content-addressed, thumbnails beside; nothing of the refused files.
    for p, data in zip(kept, [exif_jpeg, *(d for d, _ in good.values())], strict=True):
        assert p.sha256 == hashlib.sha256(data).hexdigest()
        assert original_path(media, p.sha256, p.image_format).read_bytes() == data
        assert thumbnail_path(media, p.sha256).exists()
    assert len(_media_files(media)) == 8
    rotated = kept[1]
    from PIL import Image

    with Image.open(thumbnail_path(media, rotated.sha256)) as thumb:
        assert thumb.height > thumb.width  # Orientation 6 applied: 600×300 shows upright
        assert max(thumb.size) <= 400
    # One clear line per refusal, each answering its file, in the case topic.
    for needle in REFUSALS.values():
        lines = said(sb, world.forum, needle)
        assert len(lines) == 1 and lines[0]["message_thread_id"] == topic
    reasons = sorted(e.data["reason"] for e in await audit(bot, "photo.refused"))
    assert reasons == ["bomb", "damaged", "empty", "not_image"]
    await eventually(lambda: card_has(sb, world.forum, "照片：4 张"))


async def test_compressed_photos_are_kept_without_metadata_and_bad_ones_refused(
    world: World, bot: Runtime
):
    sb = world.sb
    await register(world, world.plain, "射埠镇")
    first = sb.send_photo(
        world.plain,
        world.assistant,
        samples.jpeg(20, taken="2020:01:01 08:00:00", gps=(30.0, 110.0)),
    )
    await eventually(lambda: _count(bot, 1))
    for data in (samples.png(21), samples.webp(22), samples.jpeg(23, orientation=3)):
        sb.send_photo(world.plain, world.assistant, data, reply_to=first["message_id"])
    bad = (samples.bomb_jpeg(), samples.pdf(), samples.gif(25), samples.truncated_jpeg(24))
    for data in bad:
        sb.send_photo(world.plain, world.assistant, data, reply_to=first["message_id"])
    await eventually(
        lambda: _all_said(
            sb, world.plain, ["图片尺寸异常", "这不是照片", "不支持这种图片格式", "不完整或已损坏"]
        )
    )
    await settled(bot)
    kept = await photos(bot)
    assert len(kept) == 4
    # Telegram strips EXIF from compressed photos: never read, never flagged, marked "no metadata".
    assert all(p.kind == "photo" and not p.has_metadata and p.taken_at is None for p in kept)
    assert await audit(bot, "photo.flagged") == []
    await eventually(lambda: card_has(sb, world.plain, "4 张为压缩图", "以“文件”方式发送原图"))


async def test_too_big_file_is_refused_before_download(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_document(world.forum, world.assistant, samples.jpeg(30), file_name="a.jpg")
    topic = (await opened_case(bot)).message_thread_id
    big = b"\xff\xd8" + b"\x00" * (21 * 1024 * 1024)
    sb.send_document(world.forum, world.assistant, big, file_name="big.jpg", thread_id=topic)
    sb.send_document(
        world.forum, world.assistant, samples.pdf(), file_name="report.pdf", thread_id=topic
    )
    await eventually(lambda: _all_said(sb, world.forum, ["超过 20 MB", "这不是照片"]))
    await settled(bot)
    assert len(calls(sb, "getFile")) == 1  # only the good photo was fetched
    assert len(await photos(bot)) == 1


async def test_failed_download_is_retried_and_the_photo_ends_up_stored(world: World, bot: Runtime):
    sb = world.sb
    assert bot.downloader is not None
    bot.downloader.retry_base = 0.2
    await register(world, world.forum, "花石镇")
    sb.inject_fault("getFile", kind="500", count=2)
    sb.inject_fault("getFile", kind="drop", count=1)
    data = samples.jpeg(40)
    sb.send_document(world.forum, world.assistant, data, file_name="IMG_1.jpg")
    # The case opens at once; the download is retried in the background.
    await eventually(lambda: card_has(sb, world.forum, "照片：1 张"))
    await settled(bot)
    (photo,) = await photos(bot)
    assert photo.status == "stored" and photo.attempts == 3
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    assert original_path(bot.services.media_dir, photo.sha256, "JPEG").read_bytes() == data
    assert [e.data["attempts"] for e in await audit(bot, "photo.download_retry")] == [1, 2, 3]
    assert len(calls(sb, "getFile")) == 4


async def test_photos_beyond_the_maximum_are_refused(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(
        world.forum, world.assistant, [samples.jpeg(50 + i, size=(160, 120)) for i in range(10)]
    )
    await eventually(lambda: _count(bot, 10))
    topic = (await opened_case(bot)).message_thread_id
    sb.send_album(
        world.forum,
        world.assistant,
        [samples.jpeg(60 + i, size=(160, 120)) for i in range(3)],
        thread_id=topic,
    )
    await eventually(lambda: _all_said(sb, world.forum, ["已达上限 12 张"]))
    await settled(bot)
    assert len(await photos(bot)) == 12
    assert len(said(sb, world.forum, "已达上限 12 张")) == 1


async def _count(bot: Runtime, n: int) -> bool:
    return len(await photos(bot)) >= n


async def _all_said(sb, chat, needles) -> bool:
    return all(said(sb, chat, n) for n in needles)
