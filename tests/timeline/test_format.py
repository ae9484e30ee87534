"""The timeline formatter: events in, text lines out (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.timeline.format import (
    Entry,
    describe,
    event_lines,
    fit,
    format_duration,
    merge,
    step_lines,
    step_of,
    steps,
)

T0 = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)  # 14:00 in Asia/Shanghai


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("span", "zh", "en"),
    [
        (timedelta(seconds=0), "不到1分钟", "under a minute"),
        (timedelta(seconds=59), "不到1分钟", "under a minute"),
        (timedelta(minutes=5), "5分钟", "5 min"),
        (timedelta(minutes=60), "1小时", "1 h"),
        (timedelta(minutes=65), "1小时5分钟", "1 h 5 min"),
        (timedelta(days=1), "1天", "1 d"),
        (timedelta(days=2, hours=3, minutes=59), "2天3小时", "2 d 3 h"),
        (timedelta(seconds=-30), "不到1分钟", "under a minute"),  # clock skew never goes negative
    ],
)
def test_format_duration(span: timedelta, zh: str, en: str):
    assert format_duration(span, "zh") == zh
    assert format_duration(span, "en") == en


def test_status_steps_from_event_kinds():
    assert step_of(Entry(at(0), "case.opened")) == "collecting"
    assert step_of(Entry(at(0), "case.ready")) == "ready"
    assert step_of(Entry(at(0), "case.unready")) == "collecting"
    assert step_of(Entry(at(0), "case.handed_back")) == "collecting"
    assert step_of(Entry(at(0), "case.approved")) == "approved"  # any case.<status>
    assert step_of(Entry(at(0), "claim.decided", data={"to": "disputed"})) == "disputed"
    assert step_of(Entry(at(0), "claim.decided", data={"to": "nonsense"})) is None
    assert step_of(Entry(at(0), "party.updated")) is None
    assert step_of(Entry(at(0), "case.scene_set")) is None


def test_steps_skip_repeats_and_sort_by_time():
    entries = [
        Entry(at(10), "case.ready"),
        Entry(at(0), "case.opened"),
        Entry(at(11), "case.ready"),  # repeat: no new step
        Entry(at(20), "case.police"),
    ]
    assert [(s.status, s.at) for s in steps(entries)] == [
        ("collecting", at(0)),
        ("ready", at(10)),
        ("police", at(20)),
    ]


def test_the_happy_path_durations_and_total():
    entries = [
        Entry(at(0), "case.opened", "王协理"),
        Entry(at(65), "case.ready", "王协理"),
        Entry(at(95), "case.awaiting_insurer"),
        Entry(at(125), "case.approved", "陈晓东"),
        Entry(at(60 * 24 + 125), "case.paid", "陈晓东"),
        Entry(at(60 * 24 + 130), "case.closed"),
    ]
    lines = step_lines(entries, now=at(99999), lang="zh")
    assert lines == [
        "<b>各阶段用时</b>",
        "开案 → 材料齐全：1小时5分钟",
        "材料齐全 → 等待保险公司：30分钟",
        "等待保险公司 → 已核准：30分钟",
        "已核准 → 已赔付：1天",
        "已赔付 → 已结案：5分钟",
        "合计：1天2小时",
    ]


def test_an_open_case_counts_to_now():
    entries = [Entry(at(0), "case.opened"), Entry(at(30), "case.police")]
    lines = step_lines(entries, now=at(150), lang="zh")
    assert lines[-2:] == ["开案 → 已转交警：30分钟", "开案至今：2小时30分钟（未结案）"]
    assert step_lines([], now=at(0)) == []


def test_a_cancelled_case_is_finished():
    entries = [Entry(at(0), "case.opened"), Entry(at(30), "case.cancelled", data={"reason": "x"})]
    assert step_lines(entries, now=at(999), lang="zh")[-1] == "合计：30分钟"


def test_repeats_merge_by_kind_actor_and_party():
    entries = [
        *(Entry(at(i), "photo.added", "王协理") for i in range(9)),
        Entry(at(10), "photo.stored"),  # hidden: does not break the run either
        Entry(at(11), "photo.added", "王协理"),
        Entry(at(12), "photo.added", "李四"),
        Entry(at(13), "party.updated", "王协理", {"label": "甲"}),
        Entry(at(14), "party.updated", "王协理", {"label": "甲"}),
        Entry(at(15), "party.updated", "王协理", {"label": "乙"}),
        Entry(at(16), "case.opened", "王协理"),
        Entry(at(17), "case.opened", "王协理"),  # not a merged kind
    ]
    merged = [(e.kind, e.actor, e.data.get("label"), n) for e, n in merge(entries)]
    assert merged == [
        ("photo.added", "王协理", None, 10),
        ("photo.added", "李四", None, 1),
        ("party.updated", "王协理", "甲", 2),
        ("party.updated", "王协理", "乙", 1),
        ("case.opened", "王协理", None, 1),
        ("case.opened", "王协理", None, 1),
    ]


@pytest.mark.parametrize(
    ("entry", "count", "text"),
    [
        (Entry(T0, "case.opened"), 1, "开案"),
        (Entry(T0, "photo.added"), 9, "添加照片 9 张"),
        (Entry(T0, "party.updated", data={"label": "乙"}), 1, "填写乙方信息"),
        (Entry(T0, "party.updated", data={"label": "乙"}), 3, "填写乙方信息（3 次）"),
        (
            Entry(T0, "party.confirmed", data={"label": "甲", "via": "paper"}),
            1,
            "甲方确认（纸质签字）",
        ),
        (
            Entry(T0, "party.confirmed", data={"label": "甲", "via": "telegram"}),
            1,
            "甲方确认（本人在线确认）",
        ),
        (
            Entry(T0, "case.police", data={"reasons": ["有人受伤", "有争议"]}),
            1,
            "转交警处理（有人受伤、有争议）",
        ),
        (Entry(T0, "case.police", data={"via": "take_over", "was": "ready"}), 1, "交警接管并认领"),
        (
            Entry(T0, "case.cancelled", data={"reason": "当事人<撤回>"}),
            1,
            "撤销案件，原因：当事人&lt;撤回&gt;",
        ),
        (Entry(T0, "police.claimed"), 1, "认领案件"),
        (
            Entry(T0, "police.refused", data={"attempted": "police.claim"}),
            1,
            "尝试“认领”被拒（无权限）",
        ),
        (Entry(T0, "police.refused", data={"attempted": "x.y"}), 1, "尝试“x.y”被拒（无权限）"),
        (Entry(T0, "insurer.something_new"), 1, "insurer.something_new"),  # unknown: shown as is
    ],
)
def test_describe(entry: Entry, count: int, text: str):
    assert describe(entry, count, "zh") == text


def test_describe_in_english():
    assert describe(Entry(T0, "photo.added"), 2, "en") == "added 2 photo(s)"


def test_event_lines_use_the_time_zone_and_escape_names():
    entries = [
        Entry(at(0), "case.opened", "<b>王</b>"),
        Entry(at(1), "case.ready"),  # no actor: the line has no name
        Entry(at(2), "photo.stored"),  # hidden
    ]
    lines = event_lines(entries, timezone="Asia/Shanghai", lang="zh")
    assert lines == ["11-29 14:00 &lt;b&gt;王&lt;/b&gt;：开案", "11-29 14:01 材料齐全"]
    assert event_lines(entries, timezone="UTC")[0].startswith("11-29 06:00 ")


def test_fit_keeps_everything_that_fits():
    assert fit(["h"], ["a", "b"], ["t"]) == "h\na\nb\nt"


def test_fit_cuts_the_middle_with_a_note_and_stays_within_the_limit():
    events = [f"{i:04d} " + "事" * 40 for i in range(300)]
    head, tail = ["标题", ""], ["", "<b>各阶段用时</b>", "合计：1天"]
    text = fit(head, events, tail, lang="zh")
    assert len(text) <= 4096
    lines = text.split("\n")
    assert lines[:2] == head and lines[-3:] == tail
    kept = [x for x in lines if x[:4].isdigit()]
    assert kept[:5] == events[:5]  # the start stays
    assert kept[-1] == events[-1]  # so does the newest
    [note] = [x for x in lines if "省略" in x]
    cut = 300 - len(kept)
    assert note == f"…… 记录太长，省略中间 {cut} 条（共 300 条）……"
    assert cut > 0 and len(kept) > 20  # it uses the room it has
    # With a small limit, still within it.
    assert len(fit(head, events, tail, lang="zh", limit=500)) <= 500


def test_fit_counts_line_breaks():
    events = ["x" * 10] * 10  # 100 characters + 9 breaks
    assert "省略" not in fit([], events, [], limit=109)
    assert "omitted" not in fit([], events, [], lang="en", limit=109)
    assert "left out" in fit([], events, [], lang="en", limit=108)
