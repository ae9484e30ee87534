"""The checklist, the fraud guards and the scene, end to end through sandbox/."""

from __future__ import annotations

from datetime import timedelta

from geopy.adapters import BaseSyncAdapter

from bot.compose.app import Runtime
from bot.evidence import geo
from bot.evidence.geocoder import BaiduReverseGeocoder
from tests.e2e.conftest import World, eventually
from tests.e2e.evidence_support import (
    audit,
    card_has,
    card_text,
    cases,
    flags,
    photos,
    register,
    said,
    settled,
)
from tests.e2e.helpers import cards, tap, text_of
from tests.evidence import samples

HS_POINT = (27.5652, 112.7441)  # 湘潭花石镇快处快赔点
SB_POINT = (27.5931, 112.9002)  # 射埠镇快处快赔点


async def _slots(bot: Runtime) -> list[str | None]:
    return [p.slot for p in await photos(bot)]


async def test_album_and_singles_fill_the_checklist_and_a_button_retags(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_album(
        world.forum, world.assistant, [samples.jpeg(i, size=(320, 240)) for i in range(6)]
    )
    await eventually(lambda: card_has(sb, world.forum, "证据清单 6/9", "下一张请拍：乙方车牌"))
    case = (await cases(bot))[0]
    topic = case.message_thread_id
    assert await _slots(bot) == [
        "front_oblique", "rear_oblique", "impact",
        "plate:甲", "driving_licence:甲", "vehicle_licence:甲",
    ]  # fmt: skip
    for i in range(6, 10):
        sb.send_photo(
            world.forum, world.assistant, samples.jpeg(i, size=(320, 240)), thread_id=topic
        )
        if i == 6:  # the bot asks for the next missing shot
            await sb.wait_for(
                lambda: (
                    bool(said(sb, world.forum, "下一张请拍：<b>乙方驾驶证"))
                    or bool(said(sb, world.forum, "下一张请拍：乙方驾驶证"))
                ),
                timeout=10,
            )
    await eventually(
        lambda: card_has(sb, world.forum, "证据清单 9/9", "证据清单已齐全", "照片：10 张")
    )
    # The question turns into "complete" (asked once the photos are known good).
    await eventually(lambda: _said_async(sb, world.forum, "证据清单已齐全（"))
    assert (await _slots(bot))[6:] == ["plate:乙", "driving_licence:乙", "vehicle_licence:乙", None]

    # Photo #2 is not a usable rear panorama: mark it "other"; the card asks for it again.
    card = cards(sb, world.forum)[0]
    await tap(sb, world.forum, world.assistant, card, "更正照片标签")
    await sb.wait_for(lambda: bool(said(sb, world.forum, "选择要更正标签的照片")), timeout=10)
    picker = said(sb, world.forum, "选择要更正标签的照片")[-1]
    assert picker["message_thread_id"] == topic
    await tap(sb, world.forum, world.assistant, picker, "#2 侧后方全景")
    await sb.wait_for(
        lambda: bool(said(sb, world.forum, "照片 #2 现在是「侧后方全景」")), timeout=10
    )
    menu = said(sb, world.forum, "照片 #2 现在是")[-1]
    assert menu["reply_to_message_id"] == (await photos(bot))[1].message_id
    answer = await tap(sb, world.forum, world.assistant, menu, "其他")
    assert "已改为「其他」" in answer["text"]
    await eventually(lambda: card_has(sb, world.forum, "证据清单 8/9", "还缺：侧后方全景"))

    # The extra photo #10 is the good one: re-tag it, and the checklist is complete again.
    await tap(sb, world.forum, world.assistant, picker, "#10 其他")
    await sb.wait_for(lambda: len(said(sb, world.forum, "照片 #10 现在是")) == 1, timeout=10)
    menu = said(sb, world.forum, "照片 #10 现在是")[-1]
    # Someone without a role cannot change the evidence.
    refused = await tap(sb, world.forum, world.villager, menu, "侧后方全景")
    assert refused["show_alert"] and "只有" in refused["text"]
    assert (await _slots(bot))[9] is None
    await tap(sb, world.forum, world.assistant, menu, "侧后方全景")
    await eventually(lambda: card_has(sb, world.forum, "证据清单 9/9", "证据清单已齐全"))
    slots = await _slots(bot)
    assert slots[1] is None and slots[9] == "rear_oblique"
    moves = [
        (e.data["photo_id"], e.data["old"], e.data["new"])
        for e in await audit(bot, "photo.retagged")
    ]
    assert [m[1:] for m in moves] == [("rear_oblique", None), (None, "rear_oblique")]
    assert all(e.actor_user_id == world.assistant for e in await audit(bot, "photo.retagged"))


async def test_junction_checklist_asks_for_signal_and_positions(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.plain, "射埠镇")
    sb.send_album(
        world.plain, world.assistant, [samples.jpeg(i, size=(320, 240)) for i in range(3)]
    )
    await eventually(lambda: card_has(sb, world.plain, "证据清单 3/9"))
    await tap(sb, world.plain, world.assistant, cards(sb, world.plain)[0], "改为路口事故")
    await eventually(
        lambda: card_has(sb, world.plain, "证据清单 3/11（路口事故）", "下一张请拍：信号灯状态")
    )
    assert [e.data["new"] for e in await audit(bot, "case.scenario")] == ["junction"]


async def test_reused_old_and_far_photos_are_flagged_with_a_link(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    now_local = bot.services.clock.now() + timedelta(hours=8)
    reused = samples.jpeg(70, size=(800, 600))
    sb.send_document(world.forum, world.assistant, reused, file_name="IMG_0070.jpg")
    await eventually(lambda: _cases_with_card(bot, 1))
    first = (await cases(bot))[0]
    await settled(bot)

    # A new accident in the General topic, posted by someone else (the same person's photo
    # this soon would join their case): a location sets its scene first.
    sb.send_document(world.forum, world.villager, samples.jpeg(71), file_name="IMG_0071.jpg")
    await eventually(lambda: _cases_with_card(bot, 2))
    second = (await cases(bot))[1]
    topic = second.message_thread_id
    sb.send_location(world.forum, world.assistant, *HS_POINT, thread_id=topic)
    await eventually(lambda: _scene_set(bot, second.id))
    old = samples.jpeg(72, taken=now_local - timedelta(days=2), offset="+08:00")
    far = samples.jpeg(73, gps=(HS_POINT[0] + 0.27, HS_POINT[1]))  # 30 km north
    near_copy = samples.jpeg(image=samples.pattern(70, (800, 600)).resize((640, 480)), quality=50)
    for name, data in (("a.jpg", reused), ("b.jpg", old), ("c.jpg", far), ("d.jpg", near_copy)):
        sb.send_document(world.forum, world.assistant, data, file_name=name, thread_id=topic)
    await settled(bot)
    link = f"https://t.me/c/{str(world.forum)[4:]}/{first.card_message_id}"
    km = geo.format_km(geo.distance_km(HS_POINT, (HS_POINT[0] + 0.27, HS_POINT[1])))
    await eventually(
        lambda: card_has(
            sb, world.forum,
            f"已用于案件 {first.number}（内容相同）",
            "拍摄于开案前 48 小时",
            f"拍摄地点距现场 {km} 公里",
            "画面几乎相同",
        )
    )  # fmt: skip
    card = [c for c in cards(sb, world.forum) if second.number in text_of(c)][0]
    links = [e for e in card.get("entities", []) if e["type"] == "text_link"]
    assert {e["url"] for e in links} == {link}  # both reuse lines link to the first case's card
    got = {(f.kind, f.other_case_id) for f in await flags(bot)}
    assert got == {("reused", first.id), ("too_old", None), ("too_far", None)}
    by = sorted(f.detail.get("by", "") for f in await flags(bot) if f.kind == "reused")
    assert by == ["phash", "sha256"]
    events = await audit(bot, "photo.flagged")
    assert {e.data["flag"] for e in events} == {"reused", "too_old", "too_far"}
    reuse_events = [e for e in events if e.data["flag"] == "reused"]
    assert all(e.data["other_case_number"] == first.number for e in reuse_events)
    assert all(e.data["other_case_link"] == link for e in reuse_events)
    assert all(e.case_id == second.id for e in events)
    # The same bytes are kept once on disk.
    assert len({p.sha256 for p in await photos(bot)}) == 5


async def test_location_names_the_nearest_service_point_in_a_forum(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_photo(world.forum, world.assistant, samples.jpeg(80))
    await eventually(lambda: _cases_with_card(bot, 1))
    case = (await cases(bot))[0]
    sb.send_location(
        world.forum, world.assistant, 27.5680, 112.7441, thread_id=case.message_thread_id
    )
    await sb.wait_for(lambda: bool(said(sb, world.forum, "现场位置已记录")), timeout=10)
    msg = said(sb, world.forum, "现场位置已记录")[0]
    assert "距 <b>湘潭花石镇快处快赔点</b> 0.31 公里" in msg[
        "text"
    ] or "湘潭花石镇快处快赔点" in text_of(msg)
    assert "0.31 公里" in text_of(msg)
    assert msg["message_thread_id"] == case.message_thread_id
    await eventually(lambda: card_has(sb, world.forum, "现场：距 湘潭花石镇快处快赔点 0.31 公里"))
    (event,) = await audit(bot, "case.scene_set")
    assert event.actor_user_id == world.assistant and event.data["nearest"] == "HS-POINT"
    # A location outside any case gets a pointer, and changes nothing.
    sb.send_location(world.forum, world.assistant, *SB_POINT)
    await sb.wait_for(lambda: bool(said(sb, world.forum, "请在案件话题")), timeout=10)
    assert len(await audit(bot, "case.scene_set")) == 1


async def test_venue_in_a_plain_group_reply_chain_sets_the_scene(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.plain, "射埠镇")
    first = sb.send_photo(world.plain, world.assistant, samples.jpeg(81))
    await eventually(lambda: _cases_with_card(bot, 1))
    sb.send_location(world.plain, world.assistant, 27.5940, 112.9002, reply_to=first["message_id"])
    await sb.wait_for(lambda: bool(said(sb, world.plain, "现场位置已记录")), timeout=10)
    located = said(sb, world.plain, "现场位置已记录")[0]
    assert "距 射埠镇快处快赔点 0.10 公里" in text_of(located)
    assert located["reply_to_message_id"] is not None  # stays in the case's reply chain
    await eventually(lambda: card_has(sb, world.plain, "现场：距 射埠镇快处快赔点 0.10 公里"))
    sb.send_venue(
        world.plain, world.assistant, 27.5931, 112.9202, "射埠加油站", "射埠镇S208旁",
        reply_to=first["message_id"],
    )  # fmt: skip
    await sb.wait_for(lambda: len(said(sb, world.plain, "现场位置已记录")) == 2, timeout=10)
    assert "射埠镇快处快赔点" in text_of(said(sb, world.plain, "现场位置已记录")[1])
    assert "2.0 公里" in text_of(said(sb, world.plain, "现场位置已记录")[1])
    await eventually(
        lambda: card_has(sb, world.plain, "现场：射埠加油站，距 射埠镇快处快赔点 2.0 公里")
    )
    case = (await cases(bot))[0]
    assert case.scene_source == "venue" and case.scene_address == "射埠镇S208旁"


class FakeBaidu(BaseSyncAdapter):
    """geopy adapter answering Baidu's reverse geocoding with a canned address."""

    seen: list[str] = []

    def get_json(self, url, *, timeout, headers):
        FakeBaidu.seen.append(url)
        return {
            "status": 0,
            "result": {
                "location": {"lng": 112.7506, "lat": 27.5716},
                "formatted_address": "湖南省湘潭市湘潭县花石镇花石大道18号",
            },
        }

    def get_text(self, url, *, timeout, headers):
        raise NotImplementedError


async def test_a_configured_geocoder_adds_the_address_to_the_card(world: World, bot: Runtime):
    sb = world.sb
    bot.services.geocoder = BaiduReverseGeocoder("test-ak", timeout=2, adapter_factory=FakeBaidu)
    await register(world, world.forum, "花石镇")
    sb.send_photo(world.forum, world.assistant, samples.jpeg(82))
    await eventually(lambda: _cases_with_card(bot, 1))
    case = (await cases(bot))[0]
    sb.send_location(world.forum, world.assistant, *HS_POINT, thread_id=case.message_thread_id)
    await eventually(
        lambda: card_has(
            sb,
            world.forum,
            "现场：湖南省湘潭市湘潭县花石镇花石大道18号，距 湘潭花石镇快处快赔点 0.00 公里",
        )
    )
    assert FakeBaidu.seen and "ak=test-ak" in FakeBaidu.seen[-1]
    assert "api.map.baidu.com/reverse_geocoding/v3" in FakeBaidu.seen[-1]


async def test_a_photo_position_is_proposed_with_a_button(world: World, bot: Runtime):
    sb = world.sb
    await register(world, world.forum, "花石镇")
    sb.send_document(
        world.forum, world.assistant, samples.jpeg(90, gps=SB_POINT), file_name="g.jpg"
    )
    await sb.wait_for(lambda: bool(said(sb, world.forum, "带有拍摄位置")), timeout=15)
    proposal = said(sb, world.forum, "带有拍摄位置")[0]
    assert "射埠镇快处快赔点" in text_of(proposal)
    assert "现场位置：未设置" in card_text(sb, world.forum)
    await tap(sb, world.forum, world.assistant, proposal, "设为现场位置")
    await eventually(lambda: card_has(sb, world.forum, "现场：距 射埠镇快处快赔点 0.00 公里"))
    case = (await cases(bot))[0]
    assert case.scene_source == "photo"


async def _cases_with_card(bot: Runtime, n: int) -> bool:
    got = await cases(bot)
    return len(got) >= n and all(c.card_message_id for c in got[:n])


async def _scene_set(bot: Runtime, case_id: int) -> bool:
    return any(c.id == case_id and c.scene_lat is not None for c in await cases(bot))


async def _said_async(sb, chat, needle) -> bool:
    return bool(said(sb, chat, needle))
