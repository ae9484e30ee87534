"""Unit tests of the parties' pure rules: quick form, masking, eligibility, readiness."""

from __future__ import annotations

import pytest

from bot.config.deployment import EXAMPLE_FILE, load_deployment
from bot.parties import eligibility
from bot.parties.labels import allowed, next_label, order, parse_label
from bot.parties.masking import mask_name, mask_phone
from bot.parties.money import compute, policy_from, table_lines
from bot.parties.quickform import parse_phone, parse_quick_form
from bot.parties.readiness import CaseFacts, PartyFacts, missing
from bot.rules.compensation import Party
from bot.rules.liability import Grade

DEPLOYMENT = load_deployment(EXAMPLE_FILE)


def find_insurer(text: str) -> str | None:
    found = DEPLOYMENT.find_insurer(text)
    return found.code if found else None


def quick(text: str):  # noqa: ANN201
    return parse_quick_form(
        text, find_insurer=find_insurer, vehicle_types=DEPLOYMENT.rules.vehicle_types
    )


def test_quick_form_full_line_in_any_order():
    form = quick("甲 湘C12345 平安 13800001111 张三")
    assert (form.label, form.plate, form.insurer, form.phone, form.driver_name) == (
        "甲",
        "湘C12345",
        "PINGAN",
        "13800001111",
        "张三",
    )
    form = quick("b 小型轿车 13900002222 人保 湘c·67890 ZXH1234567890")
    assert form.label == "乙" and form.plate == "湘C67890" and form.insurer == "PICC"
    assert form.vehicle_type == "小型轿车" and form.policy_number == "ZXH1234567890"
    assert form.unknown == ()


def test_quick_form_reports_what_it_does_not_understand():
    form = quick("甲 湘C12345 火星保险公司X 1380000")
    assert form.plate == "湘C12345" and set(form.unknown) == {"火星保险公司X", "1380000"}
    assert quick("甲 湘C12345 湘C67890").unknown == ("湘C67890",)  # a second plate


@pytest.mark.parametrize("text", ["你好", "湘C12345 平安", "子 湘C12345", "甲", ""])
def test_not_a_quick_form(text: str):
    assert quick(text) is None


def test_quick_form_for_a_fifth_party_and_without_invisible_characters():
    assert quick("戊 湘C12345").label == "戊"
    form = quick("\u202e甲 湘C12345 张\u200b三 小型\u2066轿车")
    assert (form.label, form.driver_name, form.vehicle_type) == ("甲", "张三", "小型轿车")
    assert form.unknown == ()


@pytest.mark.parametrize(
    ("raw", "phone"),
    [
        ("13800001111", "13800001111"),
        ("+8613800001111", "13800001111"),
        ("0731-57800000", "0731-57800000"),
        ("073157800000", "0731-57800000"),
        ("12800001111", None),
        ("1380000111", None),
        ("abc", None),
    ],
)
def test_parse_phone(raw: str, phone: str | None):
    assert parse_phone(raw) == phone


def test_masking():
    assert mask_phone("13800001111") == "138****1111"
    assert mask_phone("0731-57800000") == "073****0000"
    assert mask_phone(None) == ""
    assert mask_name("张三") == "张*" and mask_name("欧阳小明") == "欧阳**"
    assert mask_name("李") == "李"


def test_labels():
    assert parse_label("甲方") == "甲" and parse_label("a") == "甲" and parse_label("C") == "丙"
    assert parse_label("戊") == "戊" and parse_label("E") == "戊" and parse_label("戊方") == "戊"
    assert parse_label("癸") == "癸" and parse_label("子") is None and parse_label("K") is None
    assert next_label({"甲", "乙"}, 5) == "丙" and next_label(set("甲乙丙丁"), 5) == "戊"
    assert next_label(set("甲乙丙丁戊"), 5) is None and next_label(set("甲乙丙"), 3) is None
    assert allowed("戊", 5) and not allowed("己", 5) and not allowed("X", 10)
    assert sorted(["戊", "甲", "丁", "?", "乙"], key=order) == ["甲", "乙", "丁", "戊", "?"]


def test_eligibility_order_and_verdict():
    answers: dict[str, bool] = {}
    for q in eligibility.QUESTIONS:
        assert eligibility.next_question(answers) == q
        answers[q.code] = q.fast
    assert eligibility.eligible(answers) and eligibility.failures(answers) == []
    hurt = {**answers, "injury": True}
    assert not eligibility.eligible(hurt)
    assert [q.code for q in eligibility.failures(hurt)] == ["injury"]
    assert [q.code for q in eligibility.failures({"movable": False})] == ["movable"]


def _facts(**kw) -> CaseFacts:  # noqa: ANN003
    party = PartyFacts(label="甲", complete=True, grade="full", estimate_fen=100, confirmed=True)
    base = {
        "photos_ok": True,
        "parties": (party, PartyFacts("乙", True, "none", 200, True)),
        "eligibility_complete": True,
        "eligible": True,
        "grades_valid": True,
        "require_confirmations": True,
    }
    base.update(kw)
    return CaseFacts(**base)


def test_readiness_lists_what_is_missing_in_order():
    assert missing(_facts()) == []
    assert missing(_facts(photos_ok=False)) == ["photos"]
    lone = (PartyFacts("甲", False, None, None, False),)
    assert missing(_facts(parties=lone, eligibility_complete=False)) == [
        "parties",
        "party:甲",
        "eligibility",
        "liability",
        "estimate:甲",
        "confirm:甲",
    ]
    assert missing(_facts(grades_valid=False)) == ["liability_invalid"]
    assert missing(_facts(eligible=False)) == ["ineligible"]
    unconfirmed = (
        PartyFacts("甲", True, "full", 1, False),
        PartyFacts("乙", True, "none", 1, False),
    )
    assert missing(_facts(parties=unconfirmed, require_confirmations=False)) == []


def test_money_table_for_domain_example_a():
    policy = policy_from(DEPLOYMENT.compensation)
    payments = compute(
        [Party("甲", "PINGAN", Grade.FULL, 150_000), Party("乙", "PICC", Grade.NONE, 400_000)],
        policy,
    )
    names = {i.code: i.short_name for i in DEPLOYMENT.insurers}
    lines = table_lines(payments, names)
    assert "平安产险 → 乙 交强险财产 ¥2,000.00" in lines
    assert "平安产险 → 乙 商业三者 ¥2,000.00" in lines
    assert "平安产险 → 甲 车损险 ¥1,400.00" in lines
    assert sum(p.amount_fen for p in payments) == 550_000
