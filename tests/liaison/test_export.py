"""The liaison office's spreadsheets, read back as Excel and Python's csv module read them."""

from __future__ import annotations

import csv
import tempfile
import tracemalloc
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from bot.kernel.texts import install
from bot.liaison import export
from bot.liaison.csv_file import write_csv
from bot.liaison.export import ExportRow, layer_names, stage_names
from bot.liaison.xlsx import write_xlsx

# Until the wiring lists this area's texts, the suite's catalogue lacks them.
install(export.TEXTS)

ZONE = "Asia/Shanghai"
# 23:59 in Shanghai on 30 November, still 15:59 UTC.
LATE = datetime(2026, 11, 30, 15, 59, tzinfo=UTC)

HEADER_ZH = [
    "案件编号",
    "乡镇",
    "开案时间",
    "材料齐全时间",
    "保险首次响应",
    "核准时间",
    "赔付时间",
    "结案时间",
    "现场采集（分钟）",
    "保险响应（分钟）",
    "保险审核（分钟）",
    "赔款到账（分钟）",
    "交警接案（分钟）",
    "交警处理（分钟）",
    "补充查勘（分钟）",
    "现场采集达标",
    "保险响应达标",
    "保险审核达标",
    "赔款到账达标",
    "交警接案达标",
    "交警处理达标",
    "补充查勘达标",
    "当事方（车牌 保险 责任）",
    "驾驶人",
    "交强险财产（元）",
    "交强险无责（元）",
    "商业三者（元）",
    "车损险（元）",
    "互碰自赔（元）",
    "当事人自付（元）",
    "自担（元）",
    "各保险公司核准（元）",
    "报案号",
    "已赔付（元）",
    "状态",
]
COL = {name: i for i, name in enumerate(HEADER_ZH)}
BAD_INSURER = "太平/洋:财险*[测]?\\"  # every character Excel forbids in a sheet name


def row(
    number: str,
    *,
    opened_at: datetime = LATE,
    times: bool = True,
    insurers: Mapping[str, int] | None = None,
    drivers: str = "张*（138****5678）",
    layers: Mapping[str, int] | None = None,
    minutes: Mapping[str, float | None] | None = None,
    met: Mapping[str, bool | None] | None = None,
    paid_fen: int = 123456,
) -> ExportRow:
    def later(minutes: int) -> datetime | None:
        return opened_at + timedelta(minutes=minutes) if times else None

    return ExportRow(
        number=number,
        township="花石镇",
        status="已结案" if times else "采集证据中",
        opened_at=opened_at,
        ready_at=later(9),
        first_response_at=later(20),
        approved_at=later(95),
        paid_at=later(1440),
        closed_at=later(1500),
        stage_minutes={"现场采集": 9.0, "保险响应": 11.5} if minutes is None else minutes,
        stage_met={"现场采集": True, "保险响应": False} if met is None else met,
        parties="甲 湘C12345 平安产险 全责；乙 湘C67890 人保财险 无责",
        drivers=drivers,
        layers={"交强险财产": 123456} if layers is None else layers,
        insurers={"平安产险": 123456} if insurers is None else insurers,
        claim_numbers="平安产险 RDAA2026009",
        paid_fen=paid_fen,
    )


ROWS = [
    row("HS-0001", insurers={"平安产险": 123456, "人保财险": 10000}),
    row(
        "HS-0002",
        times=False,
        insurers={BAD_INSURER: 500},
        minutes={},
        met={},
        layers={},
        paid_fen=0,
    ),
    row("HS-0003", insurers={"平安产险": 99}),
]
SUMMARY: list[tuple[str, str | int | float]] = [
    ("案件数", 3),
    ("结案率", 0.6667),
    ("核准金额（元）", "1,234.56"),
]


def values(sheet: Worksheet) -> list[list[object]]:
    return [list(r) for r in sheet.iter_rows(values_only=True)]


@pytest.fixture
def book_path(tmp_path: Path) -> Path:
    path = tmp_path / "cases.xlsx"
    assert write_xlsx(ROWS, path, zone=ZONE, lang="zh", summary=SUMMARY) == 3
    return path


def test_sheets_are_the_cases_the_summary_then_each_insurer_as_it_appears(book_path: Path) -> None:
    book = load_workbook(book_path)
    assert book.sheetnames == ["案件", "汇总", "平安产险", "人保财险", "太平_洋_财险__测___"]


def test_case_sheet_has_the_columns_in_order_and_a_frozen_header(book_path: Path) -> None:
    sheet = load_workbook(book_path)["案件"]
    rows = values(sheet)
    assert rows[0] == HEADER_ZH
    assert [r[0] for r in rows[1:]] == ["HS-0001", "HS-0002", "HS-0003"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:AI4"
    # Chinese headers are about twice as wide as their length in characters.
    assert sheet.column_dimensions["W"].width >= 2 * len("当事方（车牌 保险 责任）")
    assert sheet.column_dimensions["A"].width >= 18


def test_times_are_excel_dates_in_local_time(book_path: Path) -> None:
    sheet = load_workbook(book_path)["案件"]
    opened = sheet.cell(row=2, column=COL["开案时间"] + 1)
    assert isinstance(opened, Cell) and opened.is_date
    assert opened.value == datetime(2026, 11, 30, 23, 59)
    assert opened.number_format == "yyyy-mm-dd hh:mm"
    paid = sheet.cell(row=2, column=COL["赔付时间"] + 1)
    assert paid.value == datetime(2026, 12, 1, 23, 59)


def test_a_case_without_times_leaves_their_cells_empty(book_path: Path) -> None:
    second = values(load_workbook(book_path)["案件"])[2]
    times = ["材料齐全时间", "保险首次响应", "核准时间", "赔付时间", "结案时间"]
    assert [second[COL[c]] for c in times] == [None] * 5
    assert second[COL["开案时间"]] == datetime(2026, 11, 30, 23, 59)
    assert second[COL["现场采集（分钟）"]] is None
    assert second[COL["现场采集达标"]] is None
    assert second[COL["交强险财产（元）"]] is None
    assert second[COL["已赔付（元）"]] == 0


def test_amounts_are_yuan_to_the_fen(book_path: Path) -> None:
    sheet = load_workbook(book_path)["案件"]
    first = values(sheet)[1]
    assert first[COL["交强险财产（元）"]] == 1234.56
    assert first[COL["已赔付（元）"]] == 1234.56
    assert sheet.cell(row=2, column=COL["已赔付（元）"] + 1).number_format == "0.00"
    assert first[COL["商业三者（元）"]] is None
    assert first[COL["各保险公司核准（元）"]] == "平安产险：1234.56；人保财险：100.00"
    assert values(sheet)[3][COL["各保险公司核准（元）"]] == "平安产险：0.99"


def test_stage_minutes_and_met(book_path: Path) -> None:
    sheet = load_workbook(book_path)["案件"]
    first = values(sheet)[1]
    assert first[COL["现场采集（分钟）"]] == 9.0
    assert first[COL["保险响应（分钟）"]] == 11.5
    assert first[COL["保险审核（分钟）"]] is None
    assert first[COL["现场采集达标"]] == "是"
    assert first[COL["保险响应达标"]] == "否"
    assert first[COL["保险审核达标"]] is None
    assert sheet.cell(row=2, column=COL["保险响应（分钟）"] + 1).number_format == "0.0"


def test_each_insurer_sheet_holds_exactly_its_cases_and_its_amount(book_path: Path) -> None:
    book = load_workbook(book_path)
    expected = {
        "平安产险": [("HS-0001", 1234.56), ("HS-0003", 0.99)],
        "人保财险": [("HS-0001", 100.0)],
        "太平_洋_财险__测___": [("HS-0002", 5.0)],
    }
    for title, cases in expected.items():
        sheet = book[title]
        rows = values(sheet)
        assert rows[0] == [*HEADER_ZH, "本公司核准（元）"]
        assert [(r[0], r[-1]) for r in rows[1:]] == cases
        assert sheet.freeze_panes == "A2"
        assert sheet.cell(row=2, column=1 + len(HEADER_ZH)).number_format == "0.00"


def test_summary_sheet_holds_the_pairs_as_given(book_path: Path) -> None:
    sheet = load_workbook(book_path)["汇总"]
    assert values(sheet) == [
        ["指标", "数值"],
        ["案件数", 3],
        ["结案率", 0.6667],
        ["核准金额（元）", "1,234.56"],
    ]
    assert sheet.freeze_panes == "A2"


def test_sheet_names_follow_excel_rules_and_never_collide(tmp_path: Path) -> None:
    long = "中国人民财产保险股份有限公司湘潭市分公司花石镇营业部第一服务中心"
    names = ["A/B", "A:B", "汇总", "'引号'", long, long + "二"]
    rows = [row(f"HS-{i}", insurers={name: 100}) for i, name in enumerate(names)]
    path = tmp_path / "names.xlsx"
    write_xlsx(rows, path, zone=ZONE, lang="zh", summary=[])
    titles = load_workbook(path).sheetnames
    assert titles[:2] == ["案件", "汇总"]
    assert titles[2:] == ["A_B", "A_B (2)", "汇总 (2)", "引号", long[:31], long[:27] + " (2)"]
    assert all(len(title) <= 31 for title in titles)


def test_text_that_looks_like_a_formula_stays_text(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://example.invalid","点我")'
    path = tmp_path / "evil.xlsx"
    write_xlsx([row("HS-1", drivers=evil)], path, zone=ZONE, lang="zh", summary=[("=1+1", "=2")])
    book = load_workbook(path)
    cell = book["案件"].cell(row=2, column=COL["驾驶人"] + 1)
    assert cell.data_type == "s"
    assert cell.value == evil
    assert values(book["汇总"])[1] == ["=1+1", "=2"]
    csv_path = tmp_path / "evil.csv"
    write_csv([row("HS-1", drivers=evil)], csv_path, zone=ZONE, lang="zh")
    with csv_path.open(encoding="utf-8-sig", newline="") as f:
        assert list(csv.reader(f))[1][COL["驾驶人"]] == "'" + evil


def test_control_characters_are_dropped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "control.xlsx"
    write_xlsx([row("HS-1", drivers="张\x00三\x07")], path, zone=ZONE, lang="zh", summary=[])
    assert values(load_workbook(path)["案件"])[1][COL["驾驶人"]] == "张三"


def test_english_names_sheets_columns_and_answers(tmp_path: Path) -> None:
    stages, layers = stage_names("en"), layer_names("en")
    assert stages == (
        "scene",
        "insurer response",
        "insurer decision",
        "payout",
        "police pickup",
        "police resolution",
        "survey",
    )
    english = row(
        "HS-1",
        minutes={"scene": 3.0},
        met={"scene": True, "payout": False},
        layers={layers[0]: 100},
        insurers={"PICC": 100, "Ping An": 250},
    )
    path = tmp_path / "en.xlsx"
    write_xlsx([english], path, zone=ZONE, lang="en", summary=[("cases", 1)])
    book = load_workbook(path)
    assert book.sheetnames == ["Cases", "Summary", "PICC", "Ping An"]
    header, first = values(book["Cases"])
    assert header[:3] == ["case number", "township", "opened"]
    assert "scene (min)" in header and "compulsory (property) (¥)" in header
    assert first[header.index("scene met")] == "Yes"
    assert first[header.index("payout met")] == "No"
    assert first[header.index("approved per insurer (¥)")] == "PICC: 1.00; Ping An: 2.50"
    assert values(book["Summary"])[0] == ["figure", "value"]


def _openpyxl_temp_files() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("openpyxl.*"))


def test_a_stage_or_layer_without_a_column_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    # The bad case comes after good ones, so both writers have started their files.
    bad_stage = [row("HS-1"), row("HS-2", minutes={"scene": 3.0})]
    with pytest.raises(ValueError, match="stage"):
        write_csv(bad_stage, tmp_path / "x.csv", zone=ZONE, lang="zh")
    assert not (tmp_path / "x.csv").exists()
    before = _openpyxl_temp_files()
    bad_layer = [
        row("HS-1", insurers={"平安产险": 1, "人保财险": 2}),
        row("HS-2", layers={"交强险": 1}),
    ]
    with pytest.raises(ValueError, match="layer"):
        write_xlsx(bad_layer, tmp_path / "x.xlsx", zone=ZONE, lang="zh", summary=[])
    assert not (tmp_path / "x.xlsx").exists()
    assert _openpyxl_temp_files() - before == set()


def test_a_source_that_fails_midway_leaves_no_temporary_files(tmp_path: Path) -> None:
    def failing() -> Iterator[ExportRow]:
        yield row("HS-1", insurers={"平安产险": 1})
        raise ConnectionError("database went away")

    before = _openpyxl_temp_files()
    with pytest.raises(ConnectionError):
        write_xlsx(failing(), tmp_path / "x.xlsx", zone=ZONE, lang="zh", summary=[])
    assert _openpyxl_temp_files() - before == set()


def test_naive_times_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="aware"):
        write_csv(
            [row("HS-1", opened_at=datetime(2026, 11, 30))],
            tmp_path / "x.csv",
            zone=ZONE,
            lang="zh",
        )


def test_csv_has_a_bom_and_reads_back_the_same_values(tmp_path: Path) -> None:
    path = tmp_path / "cases.csv"
    assert write_csv(ROWS, path, zone=ZONE, lang="zh") == 3
    assert path.read_bytes().startswith(b"\xef\xbb\xbf" + "案件编号,".encode())
    with path.open(encoding="utf-8-sig", newline="") as f:
        header, first, second, third = csv.reader(f)
    assert header == HEADER_ZH
    assert first[COL["开案时间"]] == "2026-11-30 23:59"
    assert first[COL["赔付时间"]] == "2026-12-01 23:59"
    assert first[COL["交强险财产（元）"]] == "1234.56"
    assert first[COL["已赔付（元）"]] == "1234.56"
    assert first[COL["保险响应（分钟）"]] == "11.5"
    assert first[COL["现场采集达标"]] == "是"
    assert first[COL["保险响应达标"]] == "否"
    assert first[COL["各保险公司核准（元）"]] == "平安产险：1234.56；人保财险：100.00"
    assert first[COL["当事方（车牌 保险 责任）"]] == ROWS[0].parties
    assert first[COL["状态"]] == "已结案"
    assert second[COL["材料齐全时间"]] == ""
    assert second[COL["已赔付（元）"]] == "0.00"
    assert third[COL["各保险公司核准（元）"]] == "平安产险：0.99"


def test_csv_and_xlsx_say_the_same(tmp_path: Path, book_path: Path) -> None:
    path = tmp_path / "cases.csv"
    write_csv(ROWS, path, zone=ZONE, lang="zh")
    with path.open(encoding="utf-8-sig", newline="") as f:
        from_csv = list(csv.reader(f))
    from_xlsx = values(load_workbook(book_path)["案件"])

    def shown(value: object, column: str) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        # openpyxl reads 9.0 back as 9: numbers are shown as their column shows them.
        if isinstance(value, int | float) and column.endswith("（分钟）"):
            return f"{value:.1f}"
        if isinstance(value, int | float) and column.endswith("（元）"):
            return f"{value:.2f}"
        return str(value)

    assert [[shown(v, HEADER_ZH[i]) for i, v in enumerate(r)] for r in from_xlsx] == from_csv


def test_negative_amounts_keep_their_sign() -> None:
    assert export.yuan(-5) == "-0.05"
    assert export.yuan(-123456) == "-1234.56"
    assert export.yuan(7) == "0.07"


def test_progress_counts_cases_written(tmp_path: Path) -> None:
    seen: list[int] = []
    rows = (row(f"HS-{i}") for i in range(2_500))
    assert write_csv(rows, tmp_path / "p.csv", zone=ZONE, lang="zh", progress=seen.append) == 2_500
    assert seen == [1_000, 2_000, 2_500]
    seen.clear()
    write_xlsx(ROWS, tmp_path / "p.xlsx", zone=ZONE, lang="zh", summary=[], progress=seen.append)
    assert seen == [3]


def test_an_empty_period_is_a_header_only(tmp_path: Path) -> None:
    path = tmp_path / "empty.xlsx"
    assert write_xlsx([], path, zone=ZONE, lang="zh", summary=[("案件数", 0)]) == 0
    book = load_workbook(path)
    assert book.sheetnames == ["案件", "汇总"]
    assert values(book["案件"]) == [HEADER_ZH]


def _stream(count: int) -> Iterator[ExportRow]:
    insurers = ("平安产险", "人保财险", "太平洋产险")
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(count):
        yield row(
            f"HS-202603-{i:06d}",
            opened_at=start + timedelta(seconds=17 * i),
            insurers={insurers[i % 3]: 100_000 + i},
        )


def _peak_bytes(count: int, path: Path) -> int:
    tracemalloc.start()
    try:
        assert write_xlsx(_stream(count), path, zone=ZONE, lang="zh", summary=[]) == count
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_long_export_streams_in_bounded_memory(tmp_path: Path) -> None:
    # tracemalloc slows openpyxl about sixfold, so the counts are small; what is checked is
    # that five times the cases cost no more memory, which holding them would.
    small = _peak_bytes(600, tmp_path / "small.xlsx")
    large = _peak_bytes(3_000, tmp_path / "large.xlsx")
    print(f"tracemalloc peak: 600 cases {small / 1e6:.2f} MB, 3,000 cases {large / 1e6:.2f} MB")  # noqa: T201
    assert large < 150_000_000
    assert large - small < 1_500_000
    sheet = load_workbook(tmp_path / "large.xlsx", read_only=True)["太平洋产险"]
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 1_000


def test_the_characters_cleaned_are_those_openpyxl_refuses():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from bot.liaison.export import ILLEGAL_CHARACTERS, clean

    assert ILLEGAL_CHARACTERS.pattern == ILLEGAL_CHARACTERS_RE.pattern
    assert clean("甲\x00乙\x0b丙\x1f丁\t\n") == "甲乙丙丁\t\n"
