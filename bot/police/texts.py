"""What the bot says on the police path (Chinese first)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "cmd.queue": {"zh": "交警待办案件", "en": "Cases handed to police"},
    "police.b.claim": {"zh": "🙋认领", "en": "🙋 Claim"},
    "police.b.claim_case": {"zh": "🙋认领 {number}", "en": "🙋 Claim {number}"},
    "police.b.release": {"zh": "↩️释放认领", "en": "↩️ Release"},
    "police.b.cancel": {"zh": "🚫撤销案件", "en": "🚫 Cancel case"},
    "police.b.take_over": {"zh": "🚓交警接管", "en": "🚓 Police take over"},
    "police.b.hand_back": {"zh": "⏩退回快处", "en": "⏩ Back to fast path"},
    "police.card.unclaimed": {"zh": "🚓 交警处理：待认领", "en": "🚓 Police: not yet claimed"},
    "police.card.claimed": {
        "zh": "🚓 交警处理：{who} 已认领（{time}）",
        "en": "🚓 Police: claimed by {who} ({time})",
    },
    "police.card.cancelled": {
        "zh": "🚫 已撤销（{who}）：{reason}",
        "en": "🚫 Cancelled by {who}: {reason}",
    },
    "police.queue.title": {
        "zh": "🚓 交警待办 · {township}（{count} 件，按转交时间先后）",
        "en": "🚓 Police queue · {township} ({count}, oldest first)",
    },
    "police.queue.empty": {
        "zh": "🚓 {township} 目前没有转交警处理的案件。",
        "en": "🚓 No case of {township} is waiting for the police.",
    },
    "police.queue.line": {
        "zh": "{i}. {number} · 已等待 {age} · {state}",
        "en": "{i}. {number} · waiting {age} · {state}",
    },
    "police.queue.unclaimed": {"zh": "待认领", "en": "not claimed"},
    "police.queue.claimed": {"zh": "{who} 已认领", "en": "claimed by {who}"},
    "police.queue.more": {"zh": "……另有 {count} 件未列出", "en": "… {count} more not listed"},
    "police.queue.private": {
        "zh": "请在已登记的事故处理群里发送 /queue 查看交警待办案件。",
        "en": "Send /queue in a registered accident group to see the police queue.",
    },
    "police.queue.unregistered": {
        "zh": "本群尚未登记，没有案件队列。",
        "en": "This group is not registered, so it has no queue.",
    },
    "police.alert.not_police": {
        "zh": "只有交警可以操作此按钮。",
        "en": "Only the police may press this.",
    },
    "police.alert.gone": {"zh": "案件不存在。", "en": "No such case."},
    "police.no.terminal": {"zh": "案件已结束，无法操作。", "en": "The case is finished."},
    "police.no.not_police": {
        "zh": "案件不在交警处理中。",
        "en": "The case is not with the police.",
    },
    "police.no.already_police": {
        "zh": "案件已在交警处理中。",
        "en": "The case is already with the police.",
    },
    "police.no.mine": {"zh": "您已认领此案件。", "en": "You hold this case already."},
    "police.no.claimed": {"zh": "此案件已由{who}认领。", "en": "{who} holds this case."},
    "police.no.not_claimed": {"zh": "此案件无人认领。", "en": "Nobody holds this case."},
    "police.ok.claimed": {"zh": "已认领", "en": "Claimed"},
    "police.ok.released": {"zh": "已释放", "en": "Released"},
    "police.ok.asked": {"zh": "请在案件里回复撤销原因", "en": "Reply with the reason in the case"},
    "police.ok.taken_over": {"zh": "已接管并认领", "en": "Taken over and claimed"},
    "police.ok.handed_back": {"zh": "已退回快处", "en": "Handed back"},
    "q.police_cancel": {
        "zh": "{who} 请回复撤销案件 {number} 的原因（必填）：",
        "en": "{who} please reply with the reason to cancel case {number} (required):",
    },
    "police.say.claimed": {"zh": "🚓 {who} 已认领本案。", "en": "🚓 {who} claimed this case."},
    "police.say.released": {
        "zh": "🚓 {who} 已释放本案的认领。",
        "en": "🚓 {who} released this case.",
    },
    "police.say.cancelled": {
        "zh": "🚫 {who} 已撤销本案。原因：{reason}",
        "en": "🚫 {who} cancelled this case. Reason: {reason}",
    },
    "police.say.taken_over": {
        "zh": "🚓 {who} 已接管本案（原状态：{was}），快处流程暂停。",
        "en": "🚓 {who} took this case over (was: {was}); the fast path is paused.",
    },
    "police.say.handed_back": {
        "zh": "⏩ {who} 已将本案退回快处流程。{again}",
        "en": "⏩ {who} handed this case back to the fast path. {again}",
    },
    "police.say.ask_again": {
        "zh": "请重新回答快处条件。",
        "en": "Please answer the fast-path checks again.",
    },
    "police.err.reason": {
        "zh": "请写明撤销原因（文字）。",
        "en": "Please write the reason to cancel.",
    },
    "police.err.cannot": {"zh": "未撤销：{why}", "en": "Not cancelled: {why}"},
}
