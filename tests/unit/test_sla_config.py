"""The `sla:` block of the deployment file: the example says what docs/domain.md §6.1 says,
stage terms come out in working time, frozen terms outlive a new file, and a file that
cannot work is refused with one line per problem."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.config.checks import sla_warnings
from bot.config.deployment import EXAMPLE_FILE, Deployment, DeploymentError, load_deployment
from bot.config.sla import Sla, SlaStages
from bot.rules.calendar import EMPTY_TABLE, AlwaysOpen, CalendarKind, WorkingCalendar
from bot.rules.sla import Anchor, Stage, Step, StepKind, Terms
from bot.rules.sla_clock import Clock, due, start

DOMAIN = Path(__file__).resolve().parents[2] / "docs" / "domain.md"
M = timedelta(minutes=1)
H = timedelta(hours=1)
WORKING_DAY = timedelta(hours=7, minutes=30)


def _example() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(EXAMPLE_FILE.read_text(encoding="utf-8"))
    return data


def _load(tmp_path: Path, data: dict[str, Any]) -> Deployment:
    path = tmp_path / "kuaipei.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_deployment(path)


def _problems(tmp_path: Path, data: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(DeploymentError) as caught:
        _load(tmp_path, data)
    assert all("\n" not in p for p in caught.value.problems)
    return caught.value.problems


def _only_problem(tmp_path: Path, data: dict[str, Any]) -> str:
    found = _problems(tmp_path, data)
    assert len(found) == 1, found
    return found[0]


# --- docs/domain.md §6.1, read from the page ---------------------------------------------

_SPAN = re.compile(r"^(\d+) (min|h|working days?)$")
_STEP = re.compile(
    r"^(remind|supervisors|liaison|police) at (warning|breach)"
    r"(?: \+ (\d+ (?:min|h|working days?)))?(?:, every (\d+ (?:min|h|working days?)) × (\d+))?$"
)


def _span(text: str) -> timedelta:
    m = _SPAN.match(text.strip())
    assert m, text
    n, unit = int(m.group(1)), m.group(2)
    return {"min": M, "h": H}.get(unit, WORKING_DAY) * n


def _domain_table() -> dict[Stage, dict[str, Any]]:
    text = DOMAIN.read_text(encoding="utf-8")
    section = text[text.index("### 6.1") : text.index("## 7.")]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 6 or cells[0] not in {s.value for s in Stage}:
            continue
        stage, _, target, warn, calendar, ladder = cells
        steps = []
        for item in ladder.split(";"):
            m = _STEP.match(item.strip())
            assert m, item
            kind, after, delay, every, times = m.groups()
            steps.append(
                Step(
                    StepKind(kind),
                    Anchor(after),
                    delay=_span(delay) if delay else timedelta(0),
                    every=_span(every) if every else None,
                    times=int(times) if times else 0,
                )
            )
        percent = None if warn == "–" else int(warn.split("%")[0])
        rows[Stage(stage)] = {
            "target": _span(target),
            "percent": percent,
            "calendar": CalendarKind(calendar),
            "ladder": tuple(steps),
        }
    return rows


def test_domain_lists_every_stage():
    assert set(_domain_table()) == set(Stage)


@pytest.mark.parametrize("stages", ["example", "defaults"])
def test_the_example_and_the_defaults_are_what_domain_md_says(stages: str):
    sla = load_deployment(EXAMPLE_FILE).sla if stages == "example" else Sla()
    for stage, row in _domain_table().items():
        terms = sla.terms(stage)
        assert terms.target == row["target"], stage
        assert terms.calendar is row["calendar"], stage
        assert terms.ladder == row["ladder"], stage
        assert sla.stages.of(stage).warn_percent == row["percent"], stage


def test_the_warning_points_domain_md_names():
    sla = load_deployment(EXAMPLE_FILE).sla
    warnings = {s: sla.terms(s).warning for s in Stage}
    assert warnings == {
        Stage.SCENE: 20 * M,
        Stage.INSURER_RESPONSE: 5 * M,
        Stage.INSURER_DECISION: H,
        Stage.PAYOUT: 905 * M,  # 67 % of 3 × 7½ h: about 2 working days
        Stage.SURVEY: 225 * M,  # 3¾ h
        Stage.POLICE_PICKUP: 15 * M,
        Stage.POLICE_RESOLUTION: None,
    }


def test_the_example_only_adds_an_insurer_override_to_the_defaults():
    example = load_deployment(EXAMPLE_FILE).sla
    assert example.stages.insurer_response.insurers["PICC"].calendar is CalendarKind.ALWAYS
    plain = example.stages.insurer_response.model_copy(update={"insurers": {}})
    assert example.stages.model_copy(update={"insurer_response": plain}) == SlaStages()
    assert example.model_copy(update={"stages": SlaStages()}) == Sla()


def test_the_payout_default_is_the_insurers_three_day_commitment():
    assert Sla().terms(Stage.PAYOUT).target == 3 * WORKING_DAY
    assert Sla().stages.payout.target_days == 3


def test_the_digest_time_stays():
    assert load_deployment(EXAMPLE_FILE).sla.digest_time == "08:00"


# --- terms from the file ----------------------------------------------------------------------


def test_an_insurers_own_terms():
    sla = load_deployment(EXAMPLE_FILE).sla
    assert sla.terms(Stage.INSURER_RESPONSE, "PICC").calendar is CalendarKind.ALWAYS
    assert sla.terms(Stage.INSURER_RESPONSE, "PINGAN").calendar is CalendarKind.WORKING
    assert (
        sla.terms(Stage.INSURER_RESPONSE, "PICC").ladder == sla.terms(Stage.INSURER_RESPONSE).ladder
    )


def test_an_insurers_own_target_in_days_follows_its_calendar(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["payout"]["insurers"] = {
        "CPIC": {"target_days": 1, "warn_percent": 50},
        "PINGAN": {"calendar": "24x7"},
    }
    sla = _load(tmp_path, data).sla
    cpic = sla.terms(Stage.PAYOUT, "CPIC")
    assert (cpic.target, cpic.warning) == (WORKING_DAY, 225 * M)
    pingan = sla.terms(Stage.PAYOUT, "PINGAN")
    assert pingan.target == timedelta(days=3)
    # The ladder's days are the insurer's days too.
    assert pingan.ladder[1].delay == timedelta(days=2)


def test_working_hours_set_what_a_day_is(tmp_path: Path):
    data = _example()
    data["sla"]["working_hours"] = ["09:00-17:00"]
    assert _load(tmp_path, data).sla.terms(Stage.PAYOUT).target == 24 * H


def test_frozen_terms_outlive_a_new_file(tmp_path: Path):
    old = load_deployment(EXAMPLE_FILE).sla
    frozen = json.dumps(start(old.terms(Stage.INSURER_DECISION), _t(9)).to_json())
    data = _example()
    data["sla"]["stages"]["insurer_decision"].update(
        target_minutes=30, ladder=[{"step": "liaison", "after": "breach"}]
    )
    new = _load(tmp_path, data).sla
    assert new.terms(Stage.INSURER_DECISION).target == 30 * M
    clock = Clock.from_json(json.loads(frozen))
    calendar = new.calendar(clock.terms.calendar, "Asia/Shanghai")
    # The running clock keeps the ladder it started with: nothing due at 10:00, the
    # supervisors at 11:00 (2 h), as the old file said.
    assert due(clock, calendar, [], _t(10)) == ()
    assert [d.kind for d in due(clock, calendar, [], _t(11))] == [StepKind.SUPERVISORS]


def _t(hour: int) -> datetime:
    return datetime(2026, 12, 1, hour, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_calendars_from_the_file(tmp_path: Path):
    data = _example()
    data["sla"].update(holidays=[date(2026, 12, 2)], working_days=[date(2026, 12, 5)])
    sla = _load(tmp_path, data).sla
    assert isinstance(sla.calendar(CalendarKind.ALWAYS, "Asia/Shanghai"), AlwaysOpen)
    working = sla.calendar(CalendarKind.WORKING, "Asia/Shanghai")
    assert isinstance(working, WorkingCalendar)
    assert working.is_working_day(date(2026, 12, 2)) is False
    assert working.is_working_day(date(2026, 12, 5)) is True
    assert working.is_working_day(date(2025, 10, 11)) is True  # 调休, from the package
    # Running clocks keep going into a year without data, counted by its weekdays.
    assert working.is_working_day(date(2027, 3, 1)) is None
    assert working.is_working(_t(10).replace(year=2027, month=3))


# --- years without data -------------------------------------------------------------------


def test_no_data_for_next_year_is_said():
    d = load_deployment(EXAMPLE_FILE)
    (warning,) = sla_warnings(d, date(2026, 12, 1))
    assert "no holiday data for 2027" in warning and "sla.listed_years" in warning
    assert sla_warnings(d, date(2025, 6, 1)) == []


def test_no_data_at_all_is_said_for_both_years():
    d = load_deployment(EXAMPLE_FILE)
    assert len(sla_warnings(d, date(2025, 6, 1), EMPTY_TABLE)) == 2


def test_a_year_the_file_lists_itself_is_not_missing(tmp_path: Path):
    data = _example()
    data["sla"].update(listed_years=[2027], holidays=[date(2027, 1, 1)])
    assert sla_warnings(_load(tmp_path, data), date(2026, 12, 1)) == []


def test_no_working_calendar_needs_no_holiday_data(tmp_path: Path):
    data = _example()
    for stage in data["sla"]["stages"].values():
        stage["calendar"] = "24x7"
        stage.pop("insurers", None)
    assert sla_warnings(_load(tmp_path, data), date(2026, 12, 1)) == []


# --- refusals, one line each ------------------------------------------------------------------


def test_the_retired_settings_are_named(tmp_path: Path):
    data = _example()
    data["sla"].update(payment_days=10, notify_insurer_hours=48)
    problem = _only_problem(tmp_path, data)
    assert "notify_insurer_hours, payment_days" in problem and "sla.stages" in problem


def test_a_stage_without_a_target_or_with_two(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["scene"].pop("target_minutes")
    assert _only_problem(tmp_path, data) == (
        "sla.stages.scene: no target (target_minutes or target_days)"
    )
    data["sla"]["stages"]["scene"].update(target_minutes=30, target_days=1)
    assert "not both" in _only_problem(tmp_path, data)


def test_an_unknown_stage_or_step(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["lunch"] = {"target_minutes": 60}
    assert "sla.stages.lunch" in _only_problem(tmp_path, data)
    data = _example()
    data["sla"]["stages"]["scene"]["ladder"][0]["step"] = "shout"
    assert "sla.stages.scene.ladder.0.step" in _only_problem(tmp_path, data)


def test_a_step_after_a_warning_that_is_not_set(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["police_resolution"]["ladder"] = [{"step": "remind", "after": "warning"}]
    assert _only_problem(tmp_path, data) == (
        "sla.stages.police_resolution.ladder[0]: remind after the warning, "
        "but the stage has no warn_percent"
    )


def test_supervisors_only_where_there_is_an_insurer(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["scene"]["ladder"].append({"step": "supervisors"})
    assert _only_problem(tmp_path, data) == (
        "sla.stages.scene.ladder[2]: supervisors are an insurer's, and scene has no insurer"
    )


def test_insurer_terms_only_on_insurer_stages_and_for_known_insurers(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["scene"]["insurers"] = {"PICC": {"target_minutes": 5}}
    data["sla"]["stages"]["payout"]["insurers"] = {"NOPE": {"target_days": 2, "target_minutes": 5}}
    found = _problems(tmp_path, data)
    assert len(found) == 3, found
    assert any(p.startswith("sla.stages.scene.insurers: only") for p in found)
    assert "sla.stages.payout.insurers: unknown insurer NOPE" in found
    assert any(p.startswith("sla.stages.payout.insurers.NOPE: give target") for p in found)


def test_delays_and_repeats_in_one_unit(tmp_path: Path):
    data = _example()
    steps = data["sla"]["stages"]["insurer_response"]["ladder"]
    steps[2].update(delay_days=1)
    steps[0]["repeat"] = {"every_minutes": 30, "every_days": 1, "times": 3}
    assert _problems(tmp_path, data) == (
        "sla.stages.insurer_response.ladder[0].repeat: give every_minutes or every_days, not both",
        "sla.stages.insurer_response.ladder[2]: give delay_minutes or delay_days, not both",
    )
    steps[0]["repeat"] = {"times": 3}
    steps[2].pop("delay_days")
    assert _only_problem(tmp_path, data) == (
        "sla.stages.insurer_response.ladder[0].repeat: every_minutes or every_days is needed"
    )


def test_bad_working_hours_and_weekdays(tmp_path: Path):
    data = _example()
    data["sla"].update(
        working_hours=["08:30-12:00", "11:00-14:00", "22:00-06:00"],
        working_weekdays=[1, 1, 8],
    )
    found = _problems(tmp_path, data)
    assert len(found) == 4, found
    assert any("22:00-06:00" in p and p.startswith("sla.working_hours:") for p in found)
    assert "sla.working_hours: 08:30-12:00 and 11:00-14:00 overlap" in found
    assert "sla.working_weekdays: [8] are not weekdays (1 Monday to 7 Sunday)" in found
    assert "sla.working_weekdays: 1 is listed twice" in found


def test_a_working_calendar_needs_hours_and_weekdays(tmp_path: Path):
    data = _example()
    data["sla"].update(working_hours=[], working_weekdays=[])
    found = _problems(tmp_path, data)
    assert len(found) == 2, found
    assert all("needs" in p for p in found)


def test_a_day_both_off_and_working(tmp_path: Path):
    data = _example()
    data["sla"].update(holidays=[date(2027, 1, 1)], working_days=[date(2027, 1, 1)])
    assert _only_problem(tmp_path, data) == "sla: 2027-01-01 is in both holidays and working_days"


def test_a_warning_under_a_minute(tmp_path: Path):
    data = _example()
    data["sla"]["stages"]["scene"].update(target_minutes=1, warn_percent=10)
    problem = _only_problem(tmp_path, data)
    assert problem.startswith("sla.stages.scene: ") and "warning" in problem


def test_terms_from_a_valid_file_are_always_valid():
    sla = load_deployment(EXAMPLE_FILE).sla
    for stage in Stage:
        assert isinstance(sla.terms(stage), Terms)
        assert Terms.from_json(json.loads(json.dumps(sla.terms(stage).to_json()))) == sla.terms(
            stage
        )
