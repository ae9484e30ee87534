from pathlib import Path

import pytest
from geopy.adapters import BaseSyncAdapter
from geopy.exc import GeocoderTimedOut
from pydantic import ValidationError

from bot.config.deployment import EXAMPLE_FILE, Deployment, Evidence, Geocoder, load_deployment
from bot.evidence.geo import wgs84_to_bd09
from bot.evidence.geocoder import BaiduReverseGeocoder, build_geocoder

ADDRESS = "湖南省湘潭市湘潭县花石镇花石大道18号"


class Canned(BaseSyncAdapter):
    urls: list[str] = []
    answer: dict | Exception = {}

    def get_json(self, url, *, timeout, headers):
        Canned.urls.append(url)
        if isinstance(Canned.answer, Exception):
            raise Canned.answer
        return Canned.answer

    def get_text(self, url, *, timeout, headers):
        raise NotImplementedError


@pytest.fixture(autouse=True)
def _reset():
    Canned.urls = []
    Canned.answer = {
        "status": 0,
        "result": {"location": {"lng": 112.75, "lat": 27.57}, "formatted_address": ADDRESS},
    }


async def test_reverse_sends_bd09_and_decodes_the_address():
    geocoder = BaiduReverseGeocoder("AK1", adapter_factory=Canned)
    assert await geocoder.address(27.5652, 112.7441) == ADDRESS
    (url,) = Canned.urls
    bd_lat, bd_lon = wgs84_to_bd09(27.5652, 112.7441)
    assert "ak=AK1" in url and f"{bd_lat:.5f}"[:7] in url and f"{bd_lon:.5f}"[:8] in url


@pytest.mark.parametrize(
    "answer",
    [
        GeocoderTimedOut("slow"),
        {"status": 302, "message": "天配额超限"},
        {"status": 0, "result": {}},
        OSError("network down"),
    ],
)
async def test_failures_fall_back_to_none(answer):
    Canned.answer = answer
    assert await BaiduReverseGeocoder("AK1", adapter_factory=Canned).address(27.5, 112.7) is None


def test_geocoder_is_off_by_default_and_needs_its_key(tmp_path: Path):
    assert build_geocoder(Geocoder(), environ={"BAIDU_MAP_AK": "x"}) is None
    on = Geocoder(enabled=True)
    assert build_geocoder(on, environ={}, env_file=tmp_path / "none") is None
    assert isinstance(build_geocoder(on, environ={"BAIDU_MAP_AK": "x"}), BaiduReverseGeocoder)
    env = tmp_path / ".env"
    env.write_text("BAIDU_MAP_AK=from-file\n", encoding="utf-8")
    assert isinstance(build_geocoder(on, environ={}, env_file=env), BaiduReverseGeocoder)


def test_example_file_spells_out_the_defaults():
    d = load_deployment(EXAMPLE_FILE)
    assert d.evidence == Evidence()
    assert d.geocoder == Geocoder()
    assert (d.rules.photos_min, d.rules.photos_max) == (3, 12)


def test_evidence_settings_are_validated():
    with pytest.raises(ValidationError):
        Evidence(scenarios={"junction": Evidence().scenarios["junction"]})  # no default
    slots = Evidence().scenarios["default"]
    with pytest.raises(ValidationError):
        Evidence(scenarios={"default": (*slots, slots[0])})  # a shot twice
    with pytest.raises(ValidationError):
        Geocoder(provider="google")
    raw = load_deployment(EXAMPLE_FILE).model_dump()
    raw["evidence"]["formats"] = ["JPEG"]
    assert Deployment.model_validate(raw).evidence.formats == ("JPEG",)
