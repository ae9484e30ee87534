"""The liaison area's texts, zh and en side by side."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "liaison.head.day": {
        "zh": "📊 <b>联席办日报</b> · {label}",
        "en": "📊 <b>Liaison office daily digest</b> · {label}",
    },
    "liaison.head.week": {
        "zh": "📊 <b>联席办周报</b> · {label}",
        "en": "📊 <b>Liaison office weekly digest</b> · {label}",
    },
    "liaison.head.month": {
        "zh": "📊 <b>联席办月报</b> · {label}",
        "en": "📊 <b>Liaison office monthly digest</b> · {label}",
    },
    "liaison.head.range": {
        "zh": "📊 <b>统计</b> · {label}",
        "en": "📊 <b>Figures</b> · {label}",
    },
    "liaison.quiet": {
        "zh": "📊 {label}：无新案件，无超时。",
        "en": "📊 {label}: no new cases, nothing overdue.",
    },
    "liaison.counts": {
        "zh": "开案 {opened} · 结案 {closed} · 移交交警 {police} · 撤销 {cancelled}",
        "en": "opened {opened} · closed {closed} · to police {police} · cancelled {cancelled}",
    },
    "liaison.open_now": {"zh": "在办：{parts}", "en": "Open now: {parts}"},
    "liaison.open_none": {"zh": "在办：无", "en": "Open now: none"},
    "liaison.part": {"zh": "{name} {n}", "en": "{name} {n}"},
    "liaison.overdue": {
        "zh": "⏰ <b>超时案件 {n} 起</b>（最早超时的在前）",
        "en": "⏰ <b>{n} overdue</b> (oldest breach first)",
    },
    "liaison.overdue.more": {"zh": "……另有 {n} 起", "en": "… and {n} more"},
    "liaison.holder": {"zh": " · 经办：{who}", "en": " · with {who}"},
    "liaison.townships": {"zh": "<b>各乡镇</b>", "en": "<b>By township</b>"},
    "liaison.insurers": {"zh": "<b>各保险公司</b>", "en": "<b>By insurer</b>"},
    "liaison.township_line": {
        "zh": "· {name}：{cases} 起 · 开案→齐全 {ready} · 时效达标 {sla} · 核准 {approved} · 已付 {paid}",
        "en": "· {name}: {cases} case(s) · open→ready {ready} · within target {sla} · "
        "approved {approved} · paid {paid}",
    },
    "liaison.insurer_line": {
        "zh": "· {name}：{cases} 起 · 响应 {response} · 核准 {approval} · 赔付 {payout} · "
        "时效达标 {sla} · 核准 {approved} · 已付 {paid}",
        "en": "· {name}: {cases} case(s) · response {response} · approval {approval} · "
        "payout {payout} · within target {sla} · approved {approved} · paid {paid}",
    },
    "liaison.spread": {
        "zh": "中位 {median} / P90 {p90}",
        "en": "median {median} / p90 {p90}",
    },
    "liaison.none": {"zh": "—", "en": "—"},
    "liaison.minutes": {"zh": "{n}分", "en": "{n} min"},
    "liaison.flags": {
        "zh": "⚠️ 照片存疑：重复 {reused} · 拍摄过早 {too_old} · 距离过远 {too_far}",
        "en": "⚠️ Photos flagged: reused {reused} · taken too early {too_old} · too far {too_far}",
    },
    "liaison.repeat_plates": {
        "zh": "🔁 48小时内重复车牌：{items}",
        "en": "🔁 Plates in more than one case within 48 h: {items}",
    },
    "liaison.repeat_phones": {
        "zh": "🔁 48小时内重复电话：{items}",
        "en": "🔁 Phones in more than one case within 48 h: {items}",
    },
    "liaison.repeat_item": {"zh": "{value}（{numbers}）", "en": "{value} ({numbers})"},
    "liaison.month_to_date": {
        "zh": "<b>本月累计</b> · {label}",
        "en": "<b>Month to date</b> · {label}",
    },
    "liaison.chart_caption": {"zh": "{label} 图表", "en": "{label} chart"},
    "liaison.chart_title": {"zh": "联席办 {label}", "en": "Liaison office {label}"},
    # /stats and /export
    "liaison.err.period": {
        "zh": "请写明时段，例如：<code>/stats</code>、<code>/stats yesterday</code>、"
        "<code>/stats week</code>、<code>/stats 2026-11</code>、"
        "<code>/stats 2026-11-01 2026-11-15</code>，可再加乡镇或保险公司。",
        "en": "Name a period, e.g. <code>/stats</code>, <code>/stats yesterday</code>, "
        "<code>/stats week</code>, <code>/stats 2026-11</code>, "
        "<code>/stats 2026-11-01 2026-11-15</code>, optionally a township or insurer.",
    },
    "liaison.err.nobody": {
        "zh": "抱歉，统计只对联席办、交警和保险公司人员开放（保险公司只看本公司）。",
        "en": "Sorry, figures are for the liaison office, the police and insurers' people "
        "(an insurer sees its own only).",
    },
    "liaison.err.other_insurer": {
        "zh": "抱歉，您只能查看本公司（{insurer}）的统计。",
        "en": "Sorry, you may see your own insurer's figures only ({insurer}).",
    },
    "liaison.err.township": {
        "zh": "抱歉，{township} 不在您可查看的范围内。",
        "en": "Sorry, {township} is outside what you may see.",
    },
    "liaison.err.private": {
        "zh": "请在联席办群或乡镇群里使用此命令。",
        "en": "Please use this command in the liaison office's chat or a township group.",
    },
    "liaison.err.unregistered": {
        "zh": "本群尚未登记。管理员可用 /setup 登记。",
        "en": "This group is not registered. An admin can run /setup.",
    },
    "liaison.err.export_here": {
        "zh": "导出只在联席办群里提供。",
        "en": "Exports are sent in the liaison office's chat only.",
    },
    "liaison.export.caption": {
        "zh": "📎 {label} 案件导出（{n} 起）",
        "en": "📎 Cases of {label} ({n})",
    },
    "liaison.export.working": {
        "zh": "正在生成 {label} 的导出文件……",
        "en": "Preparing the export of {label}…",
    },
    "cmd.stats": {"zh": "统计（联席办、交警、保险）", "en": "Figures for a period"},
    "cmd.export": {"zh": "导出表格（联席办）", "en": "Export a spreadsheet (liaison office)"},
}
