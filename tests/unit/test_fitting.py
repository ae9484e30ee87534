"""The sender's last line of defence: texts over Telegram's limit are cut, markup intact."""

from __future__ import annotations

from bot.transport.fitting import fit_html, visible_length
from sandbox.entities import parse_html


def test_a_text_that_fits_is_unchanged():
    text = "<b>案件</b> &amp; " + "字" * 4000
    assert fit_html(text) == text


def test_visible_length_counts_what_telegram_counts():
    assert visible_length('<a href="tg://user?id=1">张三</a> &lt;i&gt;') == 6
    assert visible_length("🚜") == 2  # one character, two UTF-16 units


def test_a_long_text_is_cut_on_a_character_and_its_tags_closed():
    text = "<b>标题</b>\n<i>" + "行&amp;" * 3000 + "</i>"
    cut = fit_html(text)
    plain, entities = parse_html(cut)  # the sandbox parses it as Telegram would: no error
    assert len(plain) <= 4096 and plain.endswith("…")
    assert cut.endswith("…</i>") and "&am…" not in cut
    assert entities[0] == {"type": "bold", "offset": 0, "length": 2}


def test_a_cut_never_splits_an_entity_or_a_surrogate_pair():
    cut = fit_html("🚜" * 3000, limit=11)
    assert cut == "🚜" * 5 + "…"
    cut = fit_html("&lt;" * 20, limit=5)
    assert cut == "&lt;" * 4 + "…"
    cut = fit_html("<b>x</b>" + "<code>" + "y" * 50 + "</code>", limit=10)
    assert cut == "<b>x</b><code>" + "y" * 8 + "…</code>"
