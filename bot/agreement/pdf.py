"""The agreement (自行协商协议书) as a PDF: a pure function of AgreementData.

Laid out like the paper form: title and case number; the accident (time, place,
weather, 事故形态); one table per party; the facts (事故情形) and liability; the
compensation table; the insurers' decisions; the parties' confirmations; a signature
line with time per party. What the bot does not know is left blank to be filled in by
hand. Chinese text uses an embedded CJK font (bot/agreement/fonts.py); the PDF has a
text layer, so the case number and names can be searched and extracted.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from bot.agreement import fonts
from bot.agreement.model import AgreementData, InsurerDecision, PartyData
from bot.rules.amounts import format_fen

TITLE = "机动车交通事故快速处理协议书"
SUBTITLE = "（自行协商协议书）"
VIA = {"telegram": "本人Telegram账号确认", "paper": "纸质签字确认"}
LIABILITY = {
    "全部": "全部责任",
    "主要": "主要责任",
    "同等": "同等责任",
    "次要": "次要责任",
    "无": "无责任",
}
FAMILY = "cjk"
GREY = (235, 235, 235)
BLANK_TIME = "____年__月__日__时__分"
FOOTNOTE = (
    "本协议书由快赔系统根据案件记录生成。空白处由当事人现场填写；"
    "打印件中的“〓”表示系统字体缺少的字，请手写更正。"
)


class _Doc(FPDF):
    def __init__(self, data: AgreementData, choice: fonts.FontChoice):
        super().__init__(orientation="P", unit="mm", format="A4")
        self.data = data
        self.choice = choice
        for i, path in enumerate(choice.paths):
            family = FAMILY if i == 0 else f"{FAMILY}{i}"
            # No bold face exists: the same file serves "B" so table headings never fail.
            for style in ("", "B"):
                self.add_font(family, style, str(path))
        if len(choice.paths) > 1:
            self.set_fallback_fonts([f"{FAMILY}{i}" for i in range(1, len(choice.paths))])
        self.set_font(FAMILY, size=10)
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)
        self.set_title(f"{TITLE} {data.case_number}")
        self.set_subject(data.case_number)
        self.set_creator("快赔 Kuaipei")
        self.set_creation_date(data.generated_at)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(FAMILY, size=8)
        self.cell(
            0, 5, self.p(f"{self.data.case_number} · 第 {self.page_no()}/{{nb}} 页"), align="C"
        )

    def p(self, text: str) -> str:
        """Printable text: characters no embedded font has become 〓."""
        return self.choice.printable(text)


def _local(data: AgreementData, at: datetime | None) -> str:
    if at is None:
        return ""
    return at.astimezone(ZoneInfo(data.timezone)).strftime("%Y年%m月%d日 %H时%M分")


def _fen(amount: int | None) -> str:
    return format_fen(amount) if amount is not None else ""


def _heading(doc: _Doc, text: str) -> None:
    doc.ln(3)
    doc.set_font(FAMILY, size=12)
    doc.set_fill_color(*GREY)
    doc.cell(0, 7, doc.p(text), fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FAMILY, size=10)
    doc.ln(1)


def _table(
    doc: _Doc,
    rows: list[list[str]],
    widths: tuple[float, ...],
    *,
    headings: bool = False,
    label_column: bool = True,
) -> None:
    """A bordered table; empty cells stay empty boxes to fill by hand."""
    with doc.table(
        col_widths=widths,
        width=doc.epw,
        first_row_as_headings=headings,
        headings_style=FontFace(emphasis="", fill_color=GREY),
        text_align="LEFT",
        wrapmode=WrapMode.CHAR,
        line_height=5.5,
        min_row_height=7,
        padding=1.2,
    ) as table:
        for values in rows:
            row = table.row()
            for i, value in enumerate(values):
                # Label columns (even ones of a label/value table) are shaded like the form.
                shaded = label_column and i % 2 == 0
                row.cell(doc.p(value), style=FontFace(fill_color=GREY) if shaded else None)


def _party_rows(party: PartyData) -> list[list[str]]:
    return [
        ["驾驶人姓名", party.name or "", "联系电话", party.phone or ""],
        ["驾驶证号或身份证号", party.licence_number or "", "机动车种类", party.vehicle_type or ""],
        ["号牌号码", party.plate or "", "交强险保险公司", party.insurer or ""],
        ["保险凭证号", party.policy_number or "", "保险期间", party.insurance_period or ""],
        ["保险公司报案号", party.report_number or "", "碰撞部位", "、".join(party.collision_parts)],
    ]


def _decision_rows(decisions: tuple[InsurerDecision, ...], data: AgreementData) -> list[list[str]]:
    rows = [["保险公司", "决定", "理赔/报案号", "核定金额", "定损金额", "已支付"]]
    for d in decisions:
        paid = "；".join(
            " ".join(x for x in (format_fen(p.amount_fen), p.reference or "") if x)
            for p in d.payments
        )
        decision = d.decision or ""
        if d.decided_at is not None:
            decision += f"\n{_local(data, d.decided_at)}"
        rows.append(
            [
                d.insurer,
                decision,
                d.claim_number or "",
                _fen(d.approved_fen),
                _fen(d.assessed_fen),
                paid,
            ]
        )
    return rows


def _payers_without_decision(data: AgreementData) -> list[str]:
    """Insurers paying in the compensation table with no decision yet: a blank row each."""
    known = {d.insurer for d in data.decisions}
    out: list[str] = []
    for line in data.compensation:
        name = line.payer.split(" · ", 1)[-1] if " · " in line.payer else ""
        if name and name not in known and name not in out:
            out.append(name)
    return out


def render_agreement(data: AgreementData, *, font_path: Path | None = None) -> bytes:
    """The agreement as PDF bytes; `font_path` is an optional fuller CJK font to prefer."""
    doc = _Doc(data, fonts.choose(font_path))
    doc.add_page()

    # Title and case number.
    doc.set_font(FAMILY, size=17)
    doc.cell(0, 10, doc.p(TITLE), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.set_font(FAMILY, size=11)
    doc.cell(0, 6, doc.p(SUBTITLE), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.ln(2)
    doc.set_font(FAMILY, size=10)
    head = f"案件编号：{data.case_number}"
    if data.township:
        head += f"　　乡镇：{data.township}"
    if data.draft:
        head += f"　　【草稿】{data.status}".rstrip()
    doc.cell(0, 6, doc.p(head), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    doc.cell(
        0,
        6,
        doc.p(f"生成时间：{_local(data, data.generated_at)}"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )

    # The accident.
    _heading(doc, "一、事故基本情况")
    _table(
        doc,
        [
            ["事故时间", _local(data, data.occurred_at), "天气", data.weather or ""],
            ["事故地点", data.place or "", "事故形态", data.accident_form or ""],
            ["现场照片", f"{data.photo_count} 张", "当事方数", f"{len(data.parties)} 方"],
        ],
        (25, 65, 25, 65),
    )

    # The parties.
    _heading(doc, "二、当事人及车辆信息")
    for party in data.parties:
        doc.set_font(FAMILY, size=11)
        doc.cell(0, 7, doc.p(f"{party.label}方"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FAMILY, size=10)
        _table(doc, _party_rows(party), (36, 54, 30, 60))
        doc.ln(2)

    # Facts and liability.
    _heading(doc, "三、事故事实及责任")
    rows = []
    for party in data.parties:
        facts = "、".join(party.situations) or ""
        liability = LIABILITY.get(party.liability or "", party.liability or "")
        rows.append([f"{party.label}方", facts, liability])
    _table(
        doc,
        [["当事方", "事故情形", "责任"], *rows],
        (20, 125, 35),
        headings=True,
        label_column=False,
    )

    # Money.
    _heading(doc, "四、损失与赔偿")
    losses = [["当事方", "估损（协理员）", "定损（保险公司）"]]
    losses += [[f"{p.label}方", _fen(p.estimate_fen), _fen(p.assessed_fen)] for p in data.parties]
    _table(doc, losses, (40, 70, 70), headings=True, label_column=False)
    doc.ln(2)
    money = [["赔付方", "收款方", "险种", "金额", "备注"]]
    money += [
        [line.payer, line.payee, line.layer, format_fen(line.amount_fen), line.note]
        for line in data.compensation
    ]
    if not data.compensation:
        money += [["", "", "", "", ""], ["", "", "", "", ""]]
    _table(doc, money, (50, 25, 35, 35, 35), headings=True, label_column=False)

    # The insurers' decisions.
    _heading(doc, "五、保险公司处理意见")
    decisions = _decision_rows(data.decisions, data)
    decisions += [[name, "", "", "", "", ""] for name in _payers_without_decision(data)]
    if len(decisions) == 1:
        decisions += [["", "", "", "", "", ""], ["", "", "", "", "", ""]]
    _table(doc, decisions, (28, 30, 37, 27, 27, 31), headings=True, label_column=False)

    # Confirmations and signatures.
    _heading(doc, "六、当事人确认及签名")
    doc.multi_cell(
        0,
        6,
        doc.p("各方当事人对上述事故事实、责任划分及赔偿方式无异议，自愿签署本协议书。"),
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    doc.ln(1)
    rows = [["当事方", "确认方式及时间", "签名", "签名时间"]]
    for party in data.parties:
        if party.confirmed_via is not None:
            how = VIA.get(party.confirmed_via, party.confirmed_via)
            how += f"\n{_local(data, party.confirmed_at)}"
        else:
            how = "未确认"
        rows.append([f"{party.label}方", how, "", BLANK_TIME])
    _table(doc, rows, (20, 60, 45, 55), headings=True, label_column=False)

    doc.ln(3)
    doc.set_font(FAMILY, size=8)
    doc.multi_cell(0, 4, doc.p(FOOTNOTE), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(doc.output())
