"""Data types of the compensation arithmetic: parties, payments, layers and the policy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bot.rules.liability import DEFAULT_LIABILITY_POLICY, Grade, LiabilityPolicy


class Layer(StrEnum):
    """Which cover (or which person) a payment comes from."""

    COMPULSORY_PROPERTY = "compulsory_property"  # 交强险财产损失 (有责)
    COMPULSORY_NO_FAULT = "compulsory_no_fault"  # 交强险无责财产 (incl. 无责代赔)
    THIRD_PARTY = "third_party"  # 商业三者险
    OWN_DAMAGE = "own_damage"  # 车损险
    MUTUAL_SELF = "mutual_self"  # 互碰自赔
    PARTY_DIRECT = "party_direct"  # at-fault party pays out of pocket (deductible/above cap)
    SELF_BORNE = "self_borne"  # victim's own uninsured share (own cargo, deductible)

    @property
    def label_zh(self) -> str:
        """Chinese label for summaries."""
        return _LAYER_ZH[self]


_LAYER_ZH = {
    Layer.COMPULSORY_PROPERTY: "交强险财产",
    Layer.COMPULSORY_NO_FAULT: "交强险无责",
    Layer.THIRD_PARTY: "商业三者",
    Layer.OWN_DAMAGE: "车损险",
    Layer.MUTUAL_SELF: "互碰自赔",
    Layer.PARTY_DIRECT: "当事人自付",
    Layer.SELF_BORNE: "自担",
}


@dataclass(frozen=True)
class Party:
    """One vehicle in the accident, with its (交强险) insurer and assessed losses."""

    label: str  # 甲/乙/丙 ...; input order breaks rounding ties
    insurer: str
    grade: Grade
    vehicle_loss_fen: int
    other_property_loss_fen: int = 0  # the party's own non-vehicle property (cargo ...)

    @property
    def total_loss_fen(self) -> int:
        """Vehicle plus other property loss."""
        return self.vehicle_loss_fen + self.other_property_loss_fen


@dataclass(frozen=True)
class Payment:
    """One transfer: ``payer_party``'s cover (or pocket) pays ``payee_party``."""

    payer_insurer: str | None  # None: paid by a person, not an insurer
    payer_party: str
    payee_party: str
    layer: Layer
    amount_fen: int
    advanced_by: str | None = None  # insurer paying it out on the payer's behalf (无责代赔)

    @property
    def cash_insurer(self) -> str | None:
        """Insurer whose money actually leaves the account."""
        return self.advanced_by or self.payer_insurer


def _default_deductibles() -> Mapping[Grade, int]:
    # 2014 示范条款 事故责任免赔率 (次5 % / 同10 % / 主15 % / 全20 %), used only if enabled.
    return MappingProxyType(
        {Grade.FULL: 2_000, Grade.MAJOR: 1_500, Grade.EQUAL: 1_000, Grade.MINOR: 500}
    )


@dataclass(frozen=True)
class CompensationPolicy:
    """Deployment-tunable figures of docs/domain.md §5 (all fen / basis points)."""

    compulsory_property_limit_fen: int = 200_000  # 交强险 有责 财产 (secondary source)
    compulsory_no_fault_limit_fen: int = 10_000  # 交强险 无责 财产 (secondary source)
    liability: LiabilityPolicy = DEFAULT_LIABILITY_POLICY  # commercial ratios
    no_fault_proxy_payment: bool = True  # 无责代赔 (mechanism unverified)
    mutual_self_settlement: bool = True  # 互碰自赔 (secondary source)
    mutual_self_ceiling_fen: int = 200_000  # per-vehicle ceiling for 互碰自赔
    third_party_sum_insured_fen: int | None = None  # 三者险 保额 cap; None = unlimited
    # Unverified that the 2020 reform removed 事故责任免赔率: off by default.
    fault_deductibles: bool = False
    fault_deductible_bp: Mapping[Grade, int] = field(default_factory=_default_deductibles)

    def __post_init__(self) -> None:
        amounts = (
            self.compulsory_property_limit_fen,
            self.compulsory_no_fault_limit_fen,
            self.mutual_self_ceiling_fen,
            self.third_party_sum_insured_fen or 0,
        )
        if any(a < 0 for a in amounts):
            raise ValueError("policy amounts must be non-negative")
        if any(not 0 <= bp <= 10_000 for bp in self.fault_deductible_bp.values()):
            raise ValueError("deductibles must be within 0..10000 bp")

    def deductible_bp(self, grade: Grade) -> int:
        """事故责任免赔率 of a grade, 0 unless deductibles are enabled."""
        return self.fault_deductible_bp.get(grade, 0) if self.fault_deductibles else 0


DEFAULT_COMPENSATION_POLICY = CompensationPolicy()


def pay(
    payer: Party,
    payee: Party,
    layer: Layer,
    amount: int,
    advanced_by: str | None = None,
    *,
    person: bool = False,
) -> Payment:
    """Build a Payment from ``payer``'s insurer (or from the person when ``person``)."""
    insurer = None if person else payer.insurer
    return Payment(insurer, payer.label, payee.label, layer, amount, advanced_by)
