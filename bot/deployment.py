"""The deployment file (KUAIPEI_CONFIG): insurers, townships, service points and rules."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

EXAMPLE_FILE = Path(__file__).resolve().parent.parent / "kuaipei.example.yaml"


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


class Sla(_Strict):
    notify_insurer_hours: float = 48
    insurer_document_list_days: float = 1
    coverage_decision_days: float = 5
    payment_days: float = 10
    digest_time: str = Field(default="18:00", pattern=r"^\d{2}:\d{2}$")


class Deployment(_Strict):
    """A whole deployment file, validated."""

    region: Region
    insurers: tuple[Insurer, ...]
    townships: tuple[Township, ...]
    service_points: tuple[ServicePoint, ...] = ()
    rules: Rules = Rules()
    compensation: Compensation = Compensation()
    sla: Sla = Sla()

    @model_validator(mode="after")
    def _codes_are_consistent(self) -> Deployment:
        for what, codes in (
            ("insurer", [i.code for i in self.insurers]),
            ("township", [t.code for t in self.townships]),
            ("service point", [p.code for p in self.service_points]),
        ):
            dupes = {c for c in codes if codes.count(c) > 1}
            if dupes:
                raise ValueError(f"duplicate {what} codes: {sorted(dupes)}")
        towns = {t.code for t in self.townships}
        insurers = {i.code for i in self.insurers}
        for p in self.service_points:
            if p.township not in towns:
                raise ValueError(f"service point {p.code}: unknown township {p.township}")
            if p.insurer is not None and p.insurer not in insurers:
                raise ValueError(f"service point {p.code}: unknown insurer {p.insurer}")
        return self

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
    """The deployment file is missing or invalid; the message says where."""


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
        raise DeploymentError(f"deployment file {path} is invalid:\n{exc}") from exc
