"""Optional online reverse geocoding through geopy's Baidu geocoder, with a timeout.

Off unless the deployment enables it and the key's environment variable is set. Any
failure (timeout, quota, bad key, network) answers None: the offline nearest point is
always there. Tests pass an `adapter_factory` (a geopy FakeAdapter) with canned answers.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from geopy.geocoders import BaiduV3

from bot.config.deployment import Geocoder as GeocoderConfig
from bot.evidence.geo import wgs84_to_bd09

log = logging.getLogger(__name__)


class BaiduReverseGeocoder:
    """WGS-84 position → a formatted Chinese address, via Baidu (BD-09 on the wire)."""

    def __init__(
        self,
        api_key: str,
        *,
        security_key: str | None = None,
        timeout: float = 3.0,
        adapter_factory: Callable[..., Any] | None = None,
    ) -> None:
        kwargs: dict[str, Any] = {"timeout": timeout}
        if adapter_factory is not None:
            kwargs["adapter_factory"] = adapter_factory
        self.timeout = timeout
        self._geocoder = BaiduV3(api_key=api_key, security_key=security_key, **kwargs)

    async def address(self, lat: float, lon: float) -> str | None:
        """The address at a WGS-84 point, or None when Baidu cannot tell in time."""
        bd_lat, bd_lon = wgs84_to_bd09(lat, lon)
        try:
            location = await asyncio.wait_for(
                asyncio.to_thread(self._geocoder.reverse, (bd_lat, bd_lon), exactly_one=True),
                timeout=self.timeout + 0.5,
            )
        except Exception as exc:  # the offline answer stands
            log.warning("reverse geocoding failed: %s", type(exc).__name__)
            return None
        if location is None:
            return None
        address = location.address
        if isinstance(address, bytes):  # geopy's Baidu reverse returns UTF-8 bytes
            address = address.decode("utf-8", "replace")
        return str(address).strip() or None


def _env_value(name: str, environ: Mapping[str, str], env_file: Path) -> str | None:
    value = environ.get(name)
    if value:
        return value
    if env_file.exists():
        from dotenv import dotenv_values

        return dotenv_values(env_file).get(name) or None
    return None


def build_geocoder(
    config: GeocoderConfig,
    *,
    environ: Mapping[str, str] | None = None,
    env_file: Path = Path(".env"),
    adapter_factory: Callable[..., Any] | None = None,
) -> BaiduReverseGeocoder | None:
    """The configured geocoder, or None when disabled or when its key is not set."""
    if not config.enabled:
        return None
    env = os.environ if environ is None else environ
    key = _env_value(config.api_key_env, env, env_file)
    if not key:
        log.warning("geocoder enabled but %s is not set: offline answers only", config.api_key_env)
        return None
    return BaiduReverseGeocoder(
        key,
        security_key=_env_value(config.security_key_env, env, env_file),
        timeout=config.timeout_seconds,
        adapter_factory=adapter_factory,
    )
