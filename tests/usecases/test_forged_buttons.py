"""Forged, replayed and oversized callback data reach the button use case: each is refused
with the "no longer valid" alert, audited, and changes nothing (bot/kernel/buttons.py)."""

from __future__ import annotations

import random
import secrets

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import select

from bot.kernel.buttons import well_formed
from bot.kernel.services import Services
from storage.models import AuditEvent, Button
from tests.factories import CHAT, OTHER_CHAT, issue, press, press_texts

# Characters a modified client can put in callback data (64 bytes on Telegram; the bot
# must not rely on that either).
_ALPHABET = "Aa0_-:b/\x00\x01\n\t \u202e\u200b'\";%<>&\\😀湘" + "".join(map(chr, range(0x20, 0x7F)))


def _forged(count: int) -> list[str]:
    rng = random.Random(13)
    out = ["", "b:", "b:" + "A" * 12, "\x00" * 12, "A" * 11 + "\x00", "A" * 13, "😀" * 12]
    while len(out) < count:
        size = rng.choice([0, 1, 11, 12, 13, 64, 200])
        out.append("".join(rng.choice(_ALPHABET) for _ in range(size)))
    return out


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.text(max_size=70))
def test_only_the_issued_token_shape_is_well_formed(token: str):
    if well_formed(token):
        assert len(token) == 12 and token.isascii() and "\x00" not in token


def test_every_issued_token_is_well_formed():
    # button_data issues secrets.token_urlsafe(9): 12 characters of the URL-safe alphabet.
    assert all(well_formed(secrets.token_urlsafe(9)) for _ in range(500))


async def test_forged_and_replayed_tokens_are_refused_and_change_nothing(svc: Services):
    real = await issue(svc, "party.add")  # a real button of CHAT
    async with svc.db.session() as s:
        buttons_before = [(b.token, b.chat_id, b.action) for b in (await s.exec(select(Button)))]
    unknown = press_texts(svc)["unknown"]
    forged = _forged(80)
    results = [await press(svc, token, 100000002) for token in forged]
    # The real token pressed from another chat (copied from one group into another).
    results.append(await press(svc, real, 100000002, chat_id=OTHER_CHAT))
    assert all(r.text == unknown and r.alert for r in results)
    async with svc.db.session() as s:
        buttons_after = [(b.token, b.chat_id, b.action) for b in (await s.exec(select(Button)))]
        refused = list(
            (await s.exec(select(AuditEvent).where(AuditEvent.kind == "button.refused"))).all()
        )
    assert buttons_after == buttons_before
    assert len(refused) == len(forged) + 1
    reasons = {e.data["reason"] for e in refused}
    assert reasons == {"malformed", "unknown"}
    assert all("\x00" not in e.data["token"] and len(e.data["token"]) <= 80 for e in refused)
    assert CHAT != OTHER_CHAT
