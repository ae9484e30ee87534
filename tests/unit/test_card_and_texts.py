from datetime import UTC, datetime

from bot.case.card import CardView, render_card
from bot.kernel.texts import CATALOG, Raw, t


def view(**kw):
    base = {
        "number": "HS-20261129-001",
        "township": "花石镇",
        "status": "collecting",
        "opened_at": datetime(2026, 11, 29, 6, 5, tzinfo=UTC),
        "opened_by": "王协理",
        "photo_count": 6,
        "thread_mode": "forum",
    }
    base.update(kw)
    return CardView(**base)


def test_card_shows_number_township_status_local_time_and_count():
    text = render_card(view())
    assert "<b>HS-20261129-001</b> · 花石镇" in text
    assert "状态：采集证据中" in text
    assert "2026-11-29 14:05" in text  # 06:05 UTC shown in Asia/Shanghai
    assert "照片：6 张" in text
    assert "话题" in text


def test_card_escapes_user_values():
    text = render_card(view(opened_by="<b>x</b> & co"))
    assert "&lt;b&gt;x&lt;/b&gt; &amp; co" in text
    assert "<b>x</b>" not in text


def test_card_in_english_and_reply_mode():
    text = render_card(view(thread_mode="reply"), lang="en")
    assert "Case <b>HS-20261129-001</b>" in text and "Photos: 6" in text
    assert "reply chain" in text


def test_raw_values_are_not_escaped_twice():
    assert t("card.status", "zh", status=Raw("<i>x</i>")) == "状态：<i>x</i>"
    assert t("card.status", "zh", status="<i>x</i>") == "状态：&lt;i&gt;x&lt;/i&gt;"


def test_every_text_has_both_languages_with_the_same_placeholders():
    import string

    for key, entry in CATALOG.items():
        assert set(entry) == {"zh", "en"}, key
        fields = [
            {f for _, f, _, _ in string.Formatter().parse(entry[lang]) if f}
            for lang in ("zh", "en")
        ]
        assert fields[0] == fields[1], key
