"""A deployment file that cannot work is refused at load, with one line per problem."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config.deployment import EXAMPLE_FILE, DeploymentError, load_deployment


def _example() -> dict:
    return yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))


def _refusal(tmp_path: Path, data: dict) -> DeploymentError:
    path = tmp_path / "kuaipei.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DeploymentError) as caught:
        load_deployment(path)
    return caught.value


def _only_problem(tmp_path: Path, data: dict) -> str:
    error = _refusal(tmp_path, data)
    assert len(error.problems) == 1, error.problems
    (problem,) = error.problems
    assert "\n" not in problem
    assert problem in str(error).splitlines()
    return problem


def test_the_example_file_has_no_problem():
    load_deployment(EXAMPLE_FILE)


def test_fewer_photos_allowed_than_required(tmp_path: Path):
    data = _example()
    data["rules"].update(photos_min=20, photos_max=5)
    problem = _only_problem(tmp_path, data)
    assert "photos_min (20)" in problem and "photos_max (5)" in problem


def test_no_fault_limit_above_the_at_fault_limit(tmp_path: Path):
    data = _example()
    data["compensation"]["compulsory_property_no_fault_limit_yuan"] = 3000
    problem = _only_problem(tmp_path, data)
    assert "compulsory_property_no_fault_limit_yuan (3000)" in problem
    assert "compulsory_property_limit_yuan (2000)" in problem


def test_two_townships_with_one_case_prefix(tmp_path: Path):
    data = _example()
    data["townships"][1]["case_prefix"] = "YSH"
    problem = _only_problem(tmp_path, data)
    assert "case_prefix YSH" in problem and "易俗河镇" in problem and "花石镇" in problem


def test_duplicate_township_and_insurer_codes(tmp_path: Path):
    data = _example()
    data["townships"][2]["code"] = "HS"
    data["insurers"][1]["code"] = "PICC"
    problems = _refusal(tmp_path, data).problems
    assert any("township code HS" in p for p in problems), problems
    assert any("insurer code PICC" in p for p in problems), problems


def test_an_alias_naming_two_insurers(tmp_path: Path):
    data = _example()
    data["insurers"][1]["aliases"].append("人保")
    problem = _only_problem(tmp_path, data)
    assert "人保" in problem and "PICC" in problem and "PINGAN" in problem


def test_service_points_and_people_pointing_nowhere(tmp_path: Path):
    data = _example()
    data["service_points"][0]["township"] = "MARS"
    data["service_points"][3]["insurer"] = "NOBODY"
    data["people"][2]["insurer"] = "ACME"
    data["people"][2]["townships"] = ["YSH", "ATLANTIS"]
    problems = _refusal(tmp_path, data).problems
    assert len(problems) == 4, problems
    assert any("XT-CENTER" in p and "MARS" in p for p in problems)
    assert any("PICC-YSH" in p and "NOBODY" in p for p in problems)
    assert any("5829104736" in p and "ACME" in p for p in problems)
    assert any("5829104736" in p and "ATLANTIS" in p for p in problems)


def test_unknown_time_zone(tmp_path: Path):
    data = _example()
    data["region"]["timezone"] = "Mars/Base"
    problem = _only_problem(tmp_path, data)
    assert "region.timezone" in problem and "Mars/Base" in problem


def test_every_problem_is_listed_at_once(tmp_path: Path):
    data = _example()
    data["region"]["timezone"] = "Mars/Base"
    data["rules"].update(photos_min=20, photos_max=5)
    data["compensation"]["compulsory_property_no_fault_limit_yuan"] = 3000
    data["sla"]["digest_time"] = "25:00"
    error = _refusal(tmp_path, data)
    assert len(error.problems) == 4, error.problems
    lines = str(error).splitlines()
    assert all(p in lines for p in error.problems)
    assert "https://errors.pydantic.dev" not in str(error)  # no pydantic noise for operators


def test_cross_reference_problems_are_listed_with_field_problems(tmp_path: Path):
    data = _example()
    data["rules"].update(photos_min=20, photos_max=5)
    data["townships"][1]["case_prefix"] = "YSH"
    assert len(_refusal(tmp_path, data).problems) == 2


def test_vehicle_types_and_party_limits(tmp_path: Path):
    data = _example()
    data["rules"]["vehicle_types"] = ["小型轿车", "小型轿车"]
    assert "小型轿车" in _only_problem(tmp_path, data)
    data = _example()
    data["rules"]["vehicle_types"] = []
    assert "vehicle_types" in _only_problem(tmp_path, data)
    data = _example()
    data["rules"]["max_parties"] = 3
    data["evidence"]["default_parties"] = 4
    assert "default_parties (4)" in _only_problem(tmp_path, data)


def test_a_field_error_is_one_line_with_its_place(tmp_path: Path):
    data = _example()
    data["townships"][0]["lat"] = 123
    problem = _only_problem(tmp_path, data)
    assert problem.startswith("townships.0.lat:"), problem
