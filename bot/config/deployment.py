"""The deployment file (KUAIPEI_CONFIG): insurers, townships, service points and rules."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml
from pydantic import (
    Field,
    ValidationError,
    model_validator,
)

from bot.config.checks import problems
from bot.config.model import Strict
from bot.config.sla import Sla
from bot.rules.access import INSURER_ROLES, parse_range
from bot.rules.amounts import yuan

# Shipped inside the package so that a non-editable install has it; the top-level
# kuaipei.example.yaml is a link to this file.
EXAMPLE_FILE = Path(__file__).resolve().parent / "kuaipei.example.yaml"


class Region(Strict):
    name: str
    name_en: str = ""
    timezone: str = "Asia/Shanghai"


class Insurer(Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,15}$")
    name: str
    short_name: str
    aliases: tuple[str, ...] = ()


class Township(Strict):
    code: str = Field(pattern=r"^[A-Z]{1,6}$")
    name: str
    case_prefix: str = Field(pattern=r"^[A-Z]{1,6}$")
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class ServicePoint(Strict):
    code: str
    name: str
    township: str
    insurer: str | None = None
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    address: str = ""
    phone: str = ""


class Rules(Strict):
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


class Person(Strict):
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


class LiaisonChat(Strict):
    """A chat of the liaison office (联席办): its digest, /stats, /export and escalations."""

    chat_id: int
    townships: tuple[str, ...] = ()  # township codes it oversees; empty: every township
    # Driver names and phones in full in its digests and exports (else masked).
    show_personal_data: bool = False


class EvidenceSlot(Strict):
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


class Evidence(Strict):
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


class Geocoder(Strict):
    """Online reverse geocoding (disabled by default; the offline nearest point always works)."""

    enabled: bool = False
    provider: str = Field(default="baidu", pattern=r"^baidu$")
    # Names of environment variables holding the keys, never the keys themselves.
    api_key_env: str = "BAIDU_MAP_AK"
    security_key_env: str = "BAIDU_MAP_SK"
    timeout_seconds: float = Field(default=3, gt=0, le=30)


class MutualSelfSettlement(Strict):
    enabled: bool = True
    ceiling_yuan: int = Field(default=2000, gt=0)


class Compensation(Strict):
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


class Deployment(Strict):
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
    liaison_chats: tuple[LiaisonChat, ...] = ()

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


def one_line(text: str) -> str:
    """A value from the file quoted in a problem line: line breaks and other invisible
    characters of a key (U+2028, U+001E, NUL...) written as escapes, so that a problem
    stays one line and says what is really in the file."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode() for ch in text)


def _problem_lines(exc: ValidationError) -> list[str]:
    """Pydantic's errors as `place: what is wrong`, without its URLs and input dumps."""
    lines = []
    for error in exc.errors(include_url=False):
        place = one_line(".".join(str(part) for part in error["loc"]))
        message = error["msg"].removeprefix("Value error, ")
        for line in message.split("\n"):
            line = one_line(line)
            lines.append(f"{place}: {line}" if place else line)
    return lines


def resolve_path(configured: Path | None) -> Path:
    """Pick the deployment file: KUAIPEI_CONFIG, else ./kuaipei.yaml, else the shipped example."""
    if configured is not None:
        return configured
    local = Path("kuaipei.yaml")
    return local if local.exists() else EXAMPLE_FILE


def yaml_problem(exc: yaml.YAMLError) -> str:
    """PyYAML's complaint in one line with its line number (its own text spans several
    lines and quotes the file)."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    what = one_line(getattr(exc, "problem", None) or str(exc).split("\n")[0])
    return f"line {mark.line + 1}: {what}" if mark is not None else what


def read_yaml(path: Path) -> tuple[str, object]:
    """The file's text and its YAML; DeploymentError (one line) for whatever is wrong with it."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DeploymentError(f"cannot read deployment file {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise DeploymentError(
            f"deployment file {path} is not UTF-8 text (byte {exc.start} cannot be read)"
        ) from exc
    try:
        return text, yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise DeploymentError(
            f"deployment file {path} is not valid YAML: {yaml_problem(exc)}"
        ) from exc
    except RecursionError:
        # PyYAML builds nested collections recursively; no deployment nests this deep.
        raise DeploymentError(f"deployment file {path} is nested too deeply to be read") from None


def load_deployment(path: Path) -> Deployment:
    """Read and validate a deployment file."""
    _, raw = read_yaml(path)
    try:
        return Deployment.model_validate(raw)
    except ValidationError as exc:
        found = _problem_lines(exc)
        raise DeploymentError(
            f"deployment file {path} is invalid ({len(found)} problem(s)):", found
        ) from exc
