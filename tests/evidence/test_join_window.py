"""The single-photo join window is a deployment setting, 5 minutes unless the file says."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.config.deployment import EXAMPLE_FILE, Rules, load_deployment


def test_the_window_defaults_to_five_minutes_and_the_example_says_so():
    assert Rules().single_photo_join_minutes == 5
    assert load_deployment(EXAMPLE_FILE).rules.single_photo_join_minutes == 5


def test_zero_turns_joining_off_and_a_negative_window_is_refused():
    assert Rules(single_photo_join_minutes=0).single_photo_join_minutes == 0
    with pytest.raises(ValidationError):
        Rules(single_photo_join_minutes=-1)
