"""What the agreement (自行协商协议书) shows: every field of docs/domain.md §3.3, as plain data.

`None` (or an empty tuple) means "not known to the bot": the PDF prints an empty box or
line there, to be filled in by hand as on the paper form. Times are UTC-aware; the
renderer shows them in `timezone`. Money is integer fen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class PartyData:
    """One party (甲/乙/丙) of the agreement."""

    label: str  # 甲, 乙, 丙 (front-to-back or left-to-right at the scene)
    name: str | None = None  # driver's name
    licence_number: str | None = None  # 驾驶证号 or 身份证号
    phone: str | None = None
    vehicle_type: str | None = None  # 机动车种类
    plate: str | None = None  # 号牌号码
    insurer: str | None = None  # the 交强险 insurer's short name
    policy_number: str | None = None  # 保险凭证号
    insurance_period: str | None = None  # 保险期间
    report_number: str | None = None  # 保险公司报案号
    collision_parts: tuple[str, ...] = ()  # 碰撞部位 (车头, 左前角 …)
    situations: tuple[str, ...] = ()  # 事故情形, as labels (未保持安全车距与前车追尾 …)
    liability: str | None = None  # 全部 / 主要 / 同等 / 次要 / 无
    estimate_fen: int | None = None  # the assistant's estimate (估损)
    assessed_fen: int | None = None  # the insurer's assessment (定损)
    confirmed_via: str | None = None  # "telegram" (own account) or "paper"
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class CompensationLine:
    """One row of the compensation table: who pays whom under which layer."""

    payer: str  # e.g. "甲方 · 平安产险" or "甲方自付"
    payee: str  # e.g. "乙方"
    layer: str  # 交强险财产, 商业三者 …
    amount_fen: int
    note: str = ""  # e.g. "人保财险代赔"


@dataclass(frozen=True)
class PaymentRecord:
    """One payout an insurer confirmed."""

    amount_fen: int
    reference: str | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True)
class InsurerDecision:
    """A paying insurer's decision; unknown parts print as blanks."""

    insurer: str  # short name
    decision: str | None = None  # 同意 / 调整 / 查勘 / 拒绝 (as text)
    claim_number: str | None = None  # 理赔/报案号
    approved_fen: int | None = None
    assessed_fen: int | None = None  # 定损金额
    decided_at: datetime | None = None
    decided_by: str | None = None
    payments: tuple[PaymentRecord, ...] = ()


@dataclass(frozen=True)
class AgreementData:
    """Everything the agreement PDF prints."""

    case_number: str
    generated_at: datetime
    timezone: str = "Asia/Shanghai"
    draft: bool = True  # not closed yet: the PDF says 草稿
    status: str = ""  # the case status, as text
    township: str = ""
    occurred_at: datetime | None = None  # 事故时间
    place: str | None = None  # 事故地点
    weather: str | None = None  # 天气
    accident_form: str | None = None  # 事故形态 (追尾碰撞 …)
    photo_count: int = 0
    parties: tuple[PartyData, ...] = ()
    compensation: tuple[CompensationLine, ...] = ()
    decisions: tuple[InsurerDecision, ...] = field(default_factory=tuple)
