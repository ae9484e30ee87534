"""Hypothesis fuzzing of the deployment file loader and `kuaipei check`'s reading of it.

Whatever the file holds — random YAML, the example with one part replaced by anything,
broken bytes — loading gives a valid deployment or a DeploymentError whose first line
names the file and whose every problem is one line; never another exception.
"""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.compose.preflight import deployment_problems
from bot.config.deployment import EXAMPLE_FILE, Deployment, DeploymentError, load_deployment

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
EXAMPLE: dict[str, Any] = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
    st.sampled_from(["", "25:99", "Asia/Nowhere", "PINGAN", "HS", "assistant", "~", "0x1F"]),
)
yaml_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a parsed YAML tree (keys of mappings, indexes of lists)."""
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PLACES = _paths(EXAMPLE)[1:]


def _replaced(place: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(EXAMPLE)
    node = data
    for part in place[:-1]:
        node = node[part]
    node[place[-1]] = value
    return data


def _check(path: Path) -> None:
    try:
        deployment = load_deployment(path)
    except DeploymentError as exc:
        first, *rest = str(exc).splitlines()
        assert str(path) in first
        assert list(exc.problems) == rest
        assert all(line.strip() for line in rest)
        assert "Traceback" not in str(exc)
    else:
        assert isinstance(deployment, Deployment)
    found, _ = deployment_problems(path)
    assert all(isinstance(line, str) and "\n" not in line for line in found)


def _write(data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="kp-fuzz-"))
    path = folder / "kuaipei.yaml"
    path.write_bytes(data)
    return path


@FUZZ
@given(yaml_values)
def test_any_yaml_structure_gives_a_deployment_or_one_line_problems(value: Any):
    _check(_write(yaml.safe_dump(value, allow_unicode=True).encode()))


@FUZZ
@given(st.sampled_from(PLACES), yaml_values)
def test_the_example_with_any_part_replaced_gives_one_line_problems(
    place: tuple[Any, ...], value: Any
):
    _check(_write(yaml.safe_dump(_replaced(place, value), allow_unicode=True).encode()))


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_deployment_or_one_line_problems(data: bytes):
    _check(_write(data))


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe\x00r\x00e\x00g",  # UTF-16, as a Windows editor may save it
        b"region: \xe6\xb9\x98\n\xc3",  # cut mid-character
        b"[" * 3000 + b"]" * 3000,  # nested deeper than any parser's stack
        b"a: {" * 1500 + b"}" * 1500,
        b"key: [unclosed\n",
        b"? [a, b]\n: c\n",  # a list as a mapping key
        b"\x00\x01\x02",
        b"a: &x [1]\nb: *y\n",  # an alias that names no anchor
    ],
    ids=["utf16", "cut-utf8", "deep-lists", "deep-maps", "unclosed", "list-key", "nul", "alias"],
)
def test_a_broken_file_is_one_line_and_names_the_file(tmp_path: Path, data: bytes):
    path = tmp_path / "kuaipei.yaml"
    path.write_bytes(data)
    with pytest.raises(DeploymentError) as caught:
        load_deployment(path)
    message = str(caught.value)
    assert "\n" not in message.split(":", 1)[0] and str(path) in message.splitlines()[0]
    if not caught.value.problems:  # not YAML at all: the whole message is one line
        assert "\n" not in message
    found, deployment = deployment_problems(path)
    assert deployment is None and len(found) == 1 and str(path) in found[0]
