"""A digest longer than one Telegram message is cut between lines, never inside one."""

from __future__ import annotations

from bot.liaison.digest import LIMIT, split


def test_a_long_digest_is_cut_between_lines_into_messages_within_the_limit():
    lines = ["📊 联席办日报 · 2026-11-30", ""] + [
        f"· HS-20261130-{i:03d} 保险响应（平安产险）：已超时 {i}分钟 · 经办：平安产险"
        for i in range(400)
    ]
    parts = split(lines)
    assert len(parts) > 1
    assert all(len(p) <= LIMIT for p in parts)
    # Nothing lost, nothing cut: joined again, the parts are the lines, in order.
    assert "\n".join(parts) == "\n".join(lines)
    assert all(p.split("\n")[-1].endswith("平安产险") for p in parts)


def test_a_short_digest_is_one_message():
    assert split(["a", "", "b"]) == ["a\n\nb"]
