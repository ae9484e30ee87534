"""What the bot says on the police path (Chinese first)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "cmd.queue": {"zh": "交警待办案件", "en": "Cases handed to police"},
    "pol.b.claim": {"zh": "🙋认领", "en": "🙋 Claim"},
    "pol.b.claim_case": {"zh": "🙋认领 {number}", "en": "🙋 Claim {number}"},
    "pol.b.release": {"zh": "↩️释放认领", "en": "↩️ Release"},
    "pol.b.cancel": {"zh": "🚫撤销案件", "en": "🚫 Cancel case"},
    "pol.b.take_over": {"zh": "🚓交警接管", "en": "🚓 Police take over"},
    "pol.b.hand_back": {"zh": "⏩退回快处", "en": "⏩ Back to fast path"},
    "pol.card.unclaimed": {"zh": "🚓 交警处理：待认领", "en": "🚓 Police: not yet claimed"},
    "pol.card.claimed": {
        "zh": "🚓 交警处理：{who} 已认领（{time}）",
        "en": "🚓 Police: claimed by {who} ({time})",
    },
    "pol.card.cancelled": {
        "zh": "🚫 已撤销（{who}）：{reason}",
        "en": "🚫 Cancelled by {who}: {reason}",
    },
    "pol.queue.title": {
        "zh": "🚓 交警待办 · {township}（{count} 件，按转交时间先后）",
        "en": "🚓 Police queue · {township} ({count}, oldest first)",
    },
    "pol.queue.empty": {
        "zh": "🚓 {township} 目前没有转交警处理的案件。",
        "en": "🚓 No case of {township} is waiting for the police.",
    },
    "pol.queue.line": {
        "zh": "{i}. {number} · 已等待 {age} · {state}",
        "en": "{i}. {number} · waiting {age} · {state}",
    },
    "pol.queue.unclaimed": {"zh": "待认领", "en": "not claimed"},
    "pol.queue.claimed": {"zh": "{who} 已认领", "en": "claimed by {who}"},
    "pol.queue.more": {"zh": "……另有 {count} 件未列出", "en": "… {count} more not listed"},
    "pol.queue.private": {
        "zh": "请在已登记的事故处理群里发送 /queue 查看交警待办案件。",
        "en": "Send /queue in a registered accident group to see the police queue.",
    },
    "pol.queue.unregistered": {
        "zh": "本群尚未登记，没有案件队列。",
        "en": "This group is not registered, so it has no queue.",
    },
    "pol.alert.not_police": {
        "zh": "只有交警可以操作此按钮。",
        "en": "Only the police may press this.",
    },
    "pol.alert.gone": {"zh": "案件不存在。", "en": "No such case."},
    "pol.no.terminal": {"zh": "案件已结束，无法操作。", "en": "The case is finished."},
    "pol.no.not_police": {
        "zh": "案件不在交警处理中。",
        "en": "The case is not with the police.",
    },
    "pol.no.already_police": {
        "zh": "案件已在交警处理中。",
        "en": "The case is already with the police.",
    },
    "pol.no.mine": {"zh": "您已认领此案件。", "en": "You hold this case already."},
    "pol.no.claimed": {"zh": "此案件已由{who}认领。", "en": "{who} holds this case."},
    "pol.no.not_claimed": {"zh": "此案件无人认领。", "en": "Nobody holds this case."},
    "pol.ok.claimed": {"zh": "已认领", "en": "Claimed"},
    "pol.ok.released": {"zh": "已释放", "en": "Released"},
    "pol.ok.asked": {"zh": "请在案件里回复撤销原因", "en": "Reply with the reason in the case"},
    "pol.ok.taken_over": {"zh": "已接管并认领", "en": "Taken over and claimed"},
    "pol.ok.handed_back": {"zh": "已退回快处", "en": "Handed back"},
    "q.police_cancel": {
        "zh": "{who} 请回复撤销案件 {number} 的原因（必填）：",
        "en": "{who} please reply with the reason to cancel case {number} (required):",
    },
    "pol.say.claimed": {"zh": "🚓 {who} 已认领本案。", "en": "🚓 {who} claimed this case."},
    "pol.say.released": {"zh": "🚓 {who} 已释放本案的认领。", "en": "🚓 {who} released this case."},
    "pol.say.cancelled": {
        "zh": "🚫 {who} 已撤销本案。原因：{reason}",
        "en": "🚫 {who} cancelled this case. Reason: {reason}",
    },
    "pol.say.taken_over": {
        "zh": "🚓 {who} 已接管本案（原状态：{was}），快处流程暂停。",
        "en": "🚓 {who} took this case over (was: {was}); the fast path is paused.",
    },
    "pol.say.handed_back": {
        "zh": "⏩ {who} 已将本案退回快处流程。{again}",
        "en": "⏩ {who} handed this case back to the fast path. {again}",
    },
    "pol.say.ask_again": {
        "zh": "请重新回答快处条件。",
        "en": "Please answer the fast-path checks again.",
    },
    "pol.err.reason": {
        "zh": "请写明撤销原因（文字）。",
        "en": "Please write the reason to cancel.",
    },
    "pol.err.cannot": {"zh": "未撤销：{why}", "en": "Not cancelled: {why}"},
}
