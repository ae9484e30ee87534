"""The service-level area's texts, zh and en side by side."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "sla.stage.scene": {"zh": "现场采集", "en": "scene"},
    "sla.stage.insurer_response": {"zh": "保险响应", "en": "insurer response"},
    "sla.stage.insurer_decision": {"zh": "保险审核", "en": "insurer decision"},
    "sla.stage.payout": {"zh": "赔款到账", "en": "payout"},
    "sla.stage.police_pickup": {"zh": "交警接案", "en": "police pickup"},
    "sla.stage.police_resolution": {"zh": "交警处理", "en": "police resolution"},
    "sla.stage.survey": {"zh": "补充查勘", "en": "survey"},
    "sla.step.remind": {"zh": "已提醒", "en": "reminded"},
    "sla.step.supervisors": {"zh": "已升级至主管", "en": "escalated to supervisors"},
    "sla.step.liaison": {"zh": "已升级至联席办", "en": "escalated to the liaison office"},
    "sla.step.police": {"zh": "已通知交警", "en": "police told"},
    # One batched message: who it is for, then one line per case.
    "sla.head.remind": {
        "zh": "⏰ {who}以下 {n} 起案件等待您处理：",
        "en": "⏰ {who}{n} case(s) are waiting for you:",
    },
    "sla.head.supervisors": {
        "zh": "⚠️ {who}以下 {n} 起案件已超时，请督办：",
        "en": "⚠️ {who}{n} case(s) are overdue; please follow up:",
    },
    "sla.head.liaison": {
        "zh": "🚨 {who}联席办：以下 {n} 起案件已超时：",
        "en": "🚨 {who}Liaison office: {n} case(s) are overdue:",
    },
    "sla.head.police": {
        "zh": "🚓 {who}以下 {n} 起案件需要交警处理：",
        "en": "🚓 {who}{n} case(s) need the police:",
    },
    "sla.line.overdue": {
        "zh": "· {case} {stage}{insurer}：已超时 {span}",
        "en": "· {case} {stage}{insurer}: overdue by {span}",
    },
    "sla.line.left": {
        "zh": "· {case} {stage}{insurer}：剩余 {span}",
        "en": "· {case} {stage}{insurer}: {span} left",
    },
    "sla.insurer": {"zh": "（{name}）", "en": " ({name})"},
    "sla.b.ack": {"zh": "✋ 接单 {number}", "en": "✋ Acknowledge {number}"},
    "sla.b.ack_stage": {"zh": "{stage}{insurer}", "en": "{stage}{insurer}"},
    "sla.ack.ok": {
        "zh": "已接单。请在 {grace} 内处理，否则将再次升级。",
        "en": "Acknowledged. Please act within {grace}, or the case escalates again.",
    },
    "sla.ack.again": {"zh": "已由 {who} 接单。", "en": "Already acknowledged by {who}."},
    "sla.ack.not_yours": {
        "zh": "抱歉，这条提醒不是发给您的，接单未记录。",
        "en": "Sorry, this reminder is not addressed to you; nothing was recorded.",
    },
    "sla.ack.over": {
        "zh": "这一阶段已经结束，无需接单。",
        "en": "This stage is over; there is nothing to acknowledge.",
    },
    # The card: one line per running clock.
    "sla.card.left": {
        "zh": "⏱ {stage}{insurer}：剩余 {span}（{due} 到期）{more}",
        "en": "⏱ {stage}{insurer}: {span} left (due {due}){more}",
    },
    "sla.card.overdue": {
        "zh": "⏰ {stage}{insurer}：已超时 {span}{more}",
        "en": "⏰ {stage}{insurer}: overdue by {span}{more}",
    },
    "sla.card.paused": {
        "zh": "⏸ {stage}{insurer}：计时暂停（已用 {span}）",
        "en": "⏸ {stage}{insurer}: paused ({span} used)",
    },
    "sla.card.step": {"zh": " · {step}", "en": " · {step}"},
    "sla.card.ack": {"zh": " · {who} {time} 已接单", "en": " · acknowledged by {who} at {time}"},
    # /overdue
    "sla.overdue.head": {
        "zh": "⏰ 超时案件 {n} 起（最早超时的在前）：",
        "en": "⏰ {n} overdue case(s), oldest breach first:",
    },
    "sla.overdue.none": {"zh": "✅ 没有超时的案件。", "en": "✅ No case is overdue."},
    "sla.overdue.more": {"zh": "……另有 {n} 起未列出。", "en": "… and {n} more not listed."},
    "sla.overdue.private": {
        "zh": "请在案件所在的群里使用 /overdue。",
        "en": "Please use /overdue in a case group.",
    },
    "sla.overdue.unregistered": {
        "zh": "本群尚未登记，没有案件。管理员可用 /setup 登记。",
        "en": "This group is not registered and has no cases. An admin can run /setup.",
    },
    "sla.overdue.nobody": {
        "zh": "抱歉，/overdue 只对保险、交警、联席办和管理员开放。",
        "en": "Sorry, /overdue is for insurers' people, the police, the liaison office and admins.",
    },
    "cmd.overdue": {"zh": "超时案件", "en": "Overdue cases"},
}
