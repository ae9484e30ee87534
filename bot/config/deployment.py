"""The deployment file (KUAIPEI_CONFIG): insurers, townships, service points and rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from bot.config.checks import problems
from bot.rules.access import INSURER_ROLES, parse_range
from bot.rules.amounts import yuan
from bot.rules.calendar import (
    AlwaysOpen,
    Calendar,
    CalendarKind,
    HolidayTable,
    day_length,
    parse_hours,
    working_calendar,
)
from bot.rules.sla import Anchor, Stage, Step, StepKind, Terms

# Shipped inside the package so that a non-editable install has it; the top-level
# kuaipei.example.yaml is a link to this file.
EXAMPLE_FILE = Path(__file__).resolve().parent / "kuaipei.example.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Region(_Strict):
    name: str
    name_en: str = ""
    timezone: str = "Asia/Shanghai"


class Insurer(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,15}$")
    name: str
    short_name: str
    aliases: tuple[str, ...] = ()


class Township(_Strict):
    code: str = Field(pattern=r"^[A-Z]{1,6}$")
    name: str
    case_prefix: str = Field(pattern=r"^[A-Z]{1,6}$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ServicePoint(_Strict):
    code: str
    name: str
    township: str
    insurer: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = ""
    phone: str = ""


class Rules(_Strict):
    photos_min: int = Field(default=3, ge=1)
    photos_max: int = Field(default=12, ge=1)
    evidence_max_age_hours: float = Field(default=24, gt=0)
    evidence_max_distance_km: float = Field(default=5, gt=0)
    repeat_accident_window_hours: float = Field(default=48, gt=0)
    fast_path_ceiling_yuan: int = Field(default=10000, gt=0)
    # The parties' own confirmation (deep link or paper) is needed before `ready`.
    require_confirmations: bool = True
    # A driver's Telegram answer counts only with their shared contact matching the phone on
    # the case; off, anyone holding the deep link may answer for the driver.
    confirm_by_contact: bool = True
    # Single photos (not an album) of one person in one group, posted outside any case
    # thread within this many minutes of their previous photo, join that person's open
    # case there; 0 opens a case per photo.
    single_photo_join_minutes: float = Field(default=5, ge=0)
    pending_question_minutes: float = Field(default=120, gt=0)
    # A capture time this far after the photo reached the bot is a wrong clock or an edit.
    evidence_clock_skew_minutes: float = Field(default=10, ge=0)
    # Vehicles in one accident, labelled 甲乙丙丁戊… (bot/parties/labels.py has ten labels).
    max_parties: int = Field(default=5, ge=2, le=10)
    # Vehicle types are chosen by button; typed answers outside the list only when true.
    free_text_vehicle_types: bool = False
    vehicle_types: tuple[str, ...] = (
        "小型轿车",
        "小型普通客车",
        "轻型货车",
        "重型货车",
        "二轮摩托车",
        "其他",
    )

    @property
    def fast_path_ceiling_fen(self) -> int:
        """The fast path's ceiling, in fen like every amount the bot handles."""
        return yuan(self.fast_path_ceiling_yuan)


class Person(_Strict):
    """Someone with a role everywhere in the deployment (more roles can be given in chat)."""

    user_id: int
    name: str
    role: str = Field(pattern=r"^(assistant|adjuster|supervisor|police|liaison|admin)$")
    insurer: str | None = None
    townships: tuple[str, ...] = ()  # empty: every township
    # On-duty hours ("08:00-18:00", "22:00-06:00") in the region's time zone; empty: always.
    on_duty: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _roles_and_hours_fit(self) -> Person:
        if (self.role in INSURER_ROLES) != (self.insurer is not None):
            raise ValueError(
                f"person {self.user_id}: adjusters and supervisors, and only they, name an insurer"
            )
        for text in self.on_duty:
            parse_range(text)
        return self


class EvidenceSlot(_Strict):
    """One required shot of the checklist (docs/domain.md §3.2); per_party slots repeat per party."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    zh: str
    en: str
    per_party: bool = False


def _default_slots() -> tuple[EvidenceSlot, ...]:
    return (
        EvidenceSlot(code="front_oblique", zh="侧前方全景", en="side-front panorama"),
        EvidenceSlot(code="rear_oblique", zh="侧后方全景", en="side-rear panorama"),
        EvidenceSlot(code="impact", zh="碰撞部位", en="point of impact"),
        EvidenceSlot(code="plate", zh="车牌", en="plate", per_party=True),
        EvidenceSlot(code="driving_licence", zh="驾驶证", en="driving licence", per_party=True),
        EvidenceSlot(code="vehicle_licence", zh="行驶证", en="vehicle licence", per_party=True),
    )


def _default_scenarios() -> dict[str, tuple[EvidenceSlot, ...]]:
    base = _default_slots()
    junction = (
        *base[:3],
        EvidenceSlot(code="signal", zh="信号灯状态", en="signal state"),
        EvidenceSlot(code="positions", zh="车辆在路口的位置", en="positions in the junction"),
        *base[3:],
    )
    return {"default": base, "junction": junction}


class Evidence(_Strict):
    """The required shots and the checks on photos (docs/domain.md §3.2)."""

    scenarios: dict[str, tuple[EvidenceSlot, ...]] = Field(default_factory=_default_scenarios)
    # Per-party shots are asked for this many parties until the case names its parties.
    default_parties: int = Field(default=2, ge=1, le=4)
    formats: tuple[str, ...] = ("JPEG", "PNG", "WEBP")
    max_download_mb: float = Field(default=20, gt=0)  # Bot API getFile limit
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    thumbnail_px: int = Field(default=400, ge=32)
    # Perceptual hashes this close (bits of 64) are the same picture.
    hash_distance_max: int = Field(default=6, ge=0, le=32)
    download_max_attempts: int = Field(default=8, ge=1)

    @model_validator(mode="after")
    def _scenarios_are_usable(self) -> Evidence:
        if "default" not in self.scenarios:
            raise ValueError("evidence.scenarios needs a 'default' scenario")
        for name, slots in self.scenarios.items():
            codes = [s.code for s in slots]
            if not codes or len(set(codes)) != len(codes):
                raise ValueError(f"evidence scenario {name}: slots missing or repeated")
        return self


class Geocoder(_Strict):
    """Online reverse geocoding (disabled by default; the offline nearest point always works)."""

    enabled: bool = False
    provider: str = Field(default="baidu", pattern=r"^baidu$")
    # Names of environment variables holding the keys, never the keys themselves.
    api_key_env: str = "BAIDU_MAP_AK"
    security_key_env: str = "BAIDU_MAP_SK"
    timeout_seconds: float = Field(default=3, gt=0, le=30)


class MutualSelfSettlement(_Strict):
    enabled: bool = True
    ceiling_yuan: int = Field(default=2000, gt=0)


class Compensation(_Strict):
    compulsory_property_limit_yuan: int = Field(default=2000, ge=0)
    compulsory_property_no_fault_limit_yuan: int = Field(default=100, ge=0)
    commercial_ratios_percent: dict[str, int] = Field(
        default_factory=lambda: {"full": 100, "major": 70, "equal": 50, "minor": 30, "none": 0}
    )
    no_fault_proxy_payment: bool = True
    mutual_self_settlement: MutualSelfSettlement = MutualSelfSettlement()

    @model_validator(mode="after")
    def _ratios_are_grades(self) -> Compensation:
        ratios = self.commercial_ratios_percent
        if set(ratios) != {"full", "major", "equal", "minor", "none"}:
            raise ValueError("commercial_ratios_percent needs full, major, equal, minor, none")
        if ratios["none"] != 0:  # docs/domain.md §4.1: no fault, no commercial cover
            raise ValueError("commercial_ratios_percent.none must be 0")
        if not all(0 <= v <= 100 for v in ratios.values()):
            raise ValueError("commercial ratios are percentages (0-100)")
        return self


class SlaRepeat(_Strict):
    """A step fired again `times` more times, `every` minutes or (working) days apart."""

    every_minutes: int | None = Field(default=None, gt=0)
    every_days: int | None = Field(default=None, gt=0)
    times: int = Field(ge=1)


class SlaStep(_Strict):
    """One rung of a ladder: who is told, and when after the warning or the breach."""

    step: StepKind
    after: Anchor = Anchor.BREACH
    delay_minutes: int | None = Field(default=None, ge=0)
    delay_days: int | None = Field(default=None, ge=0)
    repeat: SlaRepeat | None = None


class SlaTerms(_Strict):
    """An insurer's own terms for a stage; what it leaves out is the stage's."""

    calendar: CalendarKind | None = None
    target_minutes: int | None = Field(default=None, gt=0)
    target_days: int | None = Field(default=None, gt=0)
    warn_percent: int | None = Field(default=None, ge=1, le=100)


class SlaStage(_Strict):
    """A stage's service level (docs/domain.md §6.1). A target in days on the `working`
    calendar is that many working days (a day being the sum of sla.working_hours); on
    `24x7` it is that many times 24 hours. Ladder delays and repeats count the same way."""

    calendar: CalendarKind = CalendarKind.WORKING
    target_minutes: int | None = Field(default=None, gt=0)
    target_days: int | None = Field(default=None, gt=0)
    # The warning point, as a percentage of the target; null: no warning.
    warn_percent: int | None = Field(default=80, ge=1, le=100)
    insurers: dict[str, SlaTerms] = Field(default_factory=dict)
    ladder: tuple[SlaStep, ...] = ()


def _step(kind: StepKind, after: Anchor = Anchor.BREACH, **more: object) -> SlaStep:
    return SlaStep.model_validate({"step": kind, "after": after, **more})


_R, _S, _L, _P = StepKind.REMIND, StepKind.SUPERVISORS, StepKind.LIAISON, StepKind.POLICE
_WARN = Anchor.WARNING
_ALWAYS = CalendarKind.ALWAYS


class SlaStages(_Strict):
    """The stages' defaults are docs/domain.md §6.1; a file names only what it changes."""

    scene: SlaStage = SlaStage(
        calendar=_ALWAYS,
        target_minutes=30,
        warn_percent=67,
        ladder=(_step(_R, _WARN), _step(_P, delay_minutes=15)),
    )
    insurer_response: SlaStage = SlaStage(
        target_minutes=10,
        warn_percent=50,
        ladder=(
            _step(_R, _WARN, repeat={"every_minutes": 30, "times": 3}),
            _step(_S),
            _step(_L, delay_minutes=20),
        ),
    )
    insurer_decision: SlaStage = SlaStage(
        target_minutes=120, warn_percent=50, ladder=(_step(_S), _step(_L, delay_minutes=120))
    )
    # The insurers' own commitment for small undisputed claims (docs/domain.md §6).
    payout: SlaStage = SlaStage(
        target_days=3, warn_percent=67, ladder=(_step(_S), _step(_L, delay_days=2))
    )
    police_pickup: SlaStage = SlaStage(
        calendar=_ALWAYS,
        target_minutes=30,
        warn_percent=50,
        ladder=(_step(_R, _WARN), _step(_L)),
    )
    police_resolution: SlaStage = SlaStage(target_days=1, warn_percent=None, ladder=(_step(_L),))
    survey: SlaStage = SlaStage(
        target_days=1, warn_percent=50, ladder=(_step(_R, _WARN), _step(_L, delay_days=1))
    )

    def of(self, stage: Stage) -> SlaStage:
        stage_terms: SlaStage = getattr(self, stage.value)
        return stage_terms


_RETIRED_SLA = {
    "notify_insurer_hours",
    "insurer_document_list_days",
    "coverage_decision_days",
    "payment_days",
}


class Sla(_Strict):
    """Service levels: the working calendar, each stage's clock and ladder, the digest."""

    # Local wall-clock hours of a working day, in the region's time zone.
    working_hours: tuple[str, ...] = ("08:30-12:00", "13:30-17:30")
    working_weekdays: tuple[int, ...] = (1, 2, 3, 4, 5)  # ISO: 1 is Monday
    # On top of China's public holidays and make-up days from the chinese-calendar package.
    holidays: tuple[date, ...] = ()
    working_days: tuple[date, ...] = ()
    # Years whose days off and working days this file lists in full itself.
    listed_years: tuple[int, ...] = ()
    stages: SlaStages = SlaStages()
    digest_time: str = Field(default="18:00", pattern=r"^\d{2}:\d{2}$")

    @model_validator(mode="before")
    @classmethod
    def _retired_settings(cls, data: object) -> object:
        # Files written before the stage clocks name these; they never did anything, and
        # ignoring them would let an operator believe they still do.
        if isinstance(data, dict) and (old := sorted(_RETIRED_SLA & set(data))):
            raise ValueError(
                f"{', '.join(old)}: no longer settings; the service levels are under "
                "sla.stages (see kuaipei.example.yaml)"
            )
        return data

    def calendar(
        self, kind: CalendarKind, zone: str, table: HolidayTable | None = None
    ) -> Calendar:
        """A stage calendar. A year without holiday data is counted by its weekdays, so
        that clocks keep running; `checks.sla_warnings` says so at start and in checks."""
        if kind is CalendarKind.ALWAYS:
            return AlwaysOpen()
        return working_calendar(
            zone,
            self.working_hours,
            weekdays=self.working_weekdays,
            extra_holidays=self.holidays,
            extra_working_days=self.working_days,
            listed_years=self.listed_years,
            table=table,
            guess_unknown_years=True,
        )

    def terms(self, stage: Stage, insurer: str | None = None) -> Terms:
        """The terms a stage starting now takes (an insurer's own, where it has them),
        in working time: what is frozen onto the clock."""
        base = self.stages.of(stage)
        own = base.insurers.get(insurer, SlaTerms()) if insurer is not None else SlaTerms()
        kind = own.calendar or base.calendar
        day = (
            timedelta(days=1)
            if kind is CalendarKind.ALWAYS
            else day_length(parse_hours(h) for h in self.working_hours)
        )
        if own.target_minutes is not None or own.target_days is not None:
            target = _span(own.target_minutes, own.target_days, day)
        else:
            target = _span(base.target_minutes, base.target_days, day)
        percent = own.warn_percent if own.warn_percent is not None else base.warn_percent
        warning = None
        if percent is not None:
            # Whole minutes, half up: 67 % of 30 min is 20 min.
            warning = timedelta(minutes=(target // timedelta(minutes=1) * percent + 50) // 100)
        return Terms(
            stage=stage,
            calendar=kind,
            target=target,
            warning=warning,
            ladder=tuple(
                Step(
                    kind=s.step,
                    after=s.after,
                    delay=_span(s.delay_minutes, s.delay_days, day, allow_zero=True),
                    every=None
                    if s.repeat is None
                    else _span(s.repeat.every_minutes, s.repeat.every_days, day),
                    times=0 if s.repeat is None else s.repeat.times,
                )
                for s in base.ladder
            ),
        )


def _span(
    minutes: int | None, days: int | None, day: timedelta, *, allow_zero: bool = False
) -> timedelta:
    """Minutes or days as working time; the checks have made sure it is one of them."""
    if minutes is not None and days is not None:
        raise ValueError("give minutes or days, not both")
    if days is not None:
        return days * day
    if minutes is not None:
        return timedelta(minutes=minutes)
    if allow_zero:
        return timedelta(0)
    raise ValueError("neither minutes nor days given")


class Deployment(_Strict):
    """A whole deployment file, validated."""

    region: Region
    insurers: tuple[Insurer, ...]
    townships: tuple[Township, ...]
    service_points: tuple[ServicePoint, ...] = ()
    rules: Rules = Rules()
    compensation: Compensation = Compensation()
    sla: Sla = Sla()
    evidence: Evidence = Evidence()
    geocoder: Geocoder = Geocoder()
    people: tuple[Person, ...] = ()

    @model_validator(mode="after")
    def _is_consistent(self) -> Deployment:
        # All problems at once: an operator fixing the file should not find them one by one.
        if found := problems(self):
            raise ValueError("\n".join(found))
        return self

    def find_insurer(self, text: str) -> Insurer | None:
        """Find an insurer by code, short name, full name or alias."""
        key = text.strip()
        for ins in self.insurers:
            if key.upper() == ins.code or key in (ins.short_name, ins.name, *ins.aliases):
                return ins
        return None

    def people_with(self, role: str, township: str | None = None) -> tuple[Person, ...]:
        """The deployment's people with a role (for a township, if given)."""
        return tuple(
            p
            for p in self.people
            if p.role == role and (not p.townships or township is None or township in p.townships)
        )

    def find_township(self, text: str) -> Township | None:
        """Find a township by its name (with or without 镇/乡), code or case prefix."""
        key = text.strip()
        for t in self.townships:
            if key in (t.name, t.code, t.case_prefix) or key.upper() == t.code:
                return t
            if key and t.name.rstrip("镇乡") == key.rstrip("镇乡"):
                return t
        return None


class DeploymentError(RuntimeError):
    """The deployment file is missing or invalid; the message says where, one line a problem."""

    def __init__(self, message: str, problems: Iterable[str] = ()) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join((message, *self.problems)))


def _problem_lines(exc: ValidationError) -> list[str]:
    """Pydantic's errors as `place: what is wrong`, without its URLs and input dumps."""
    lines = []
    for error in exc.errors(include_url=False):
        place = ".".join(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        for line in message.splitlines():
            lines.append(f"{place}: {line}" if place else line)
    return lines


def resolve_path(configured: Path | None) -> Path:
    """Pick the deployment file: KUAIPEI_CONFIG, else ./kuaipei.yaml, else the shipped example."""
    if configured is not None:
        return configured
    local = Path("kuaipei.yaml")
    return local if local.exists() else EXAMPLE_FILE


def load_deployment(path: Path) -> Deployment:
    """Read and validate a deployment file."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DeploymentError(f"cannot read deployment file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise DeploymentError(f"deployment file {path} is not valid YAML: {exc}") from exc
    try:
        return Deployment.model_validate(raw)
    except ValidationError as exc:
        found = _problem_lines(exc)
        raise DeploymentError(
            f"deployment file {path} is invalid ({len(found)} problem(s)):", found
        ) from exc
