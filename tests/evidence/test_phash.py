import io

import pytest
from PIL import Image

from bot.evidence.phash import dhash, distance, informative
from tests.evidence.samples import jpeg, pattern


def test_reencoded_and_resized_copies_stay_close():
    original = pattern(7, (1200, 900))
    h = dhash(original)
    small = Image.open(io.BytesIO(jpeg(image=original.resize((400, 300)), quality=40)))
    assert distance(h, dhash(small)) <= 4


def test_different_pictures_are_far_apart():
    hashes = [dhash(pattern(seed)) for seed in range(12)]
    for i, a in enumerate(hashes):
        for b in hashes[i + 1 :]:
            assert distance(a, b) > 10


def test_hash_format_and_distance():
    h = dhash(pattern(1))
    assert len(h) == 16 and set(h) <= set("0123456789abcdef")
    # Each bit says "the next pixel to the right is brighter": a left-to-right gradient sets
    # all 64 of them, its mirror none.
    brighter = Image.new("L", (90, 80))
    brighter.putdata([x * 2 for _ in range(80) for x in range(90)])
    assert dhash(brighter) == "f" * 16
    assert dhash(brighter.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) == "0" * 16
    assert distance(h, h) == 0
    assert distance("0" * 16, "f" * 16) == 64
    with pytest.raises(ValueError):
        distance("00", "000")


def test_flat_images_are_not_informative():
    flat = dhash(Image.new("RGB", (100, 100), (120, 120, 120)))
    assert not informative(flat)
    assert informative(dhash(pattern(3)))
