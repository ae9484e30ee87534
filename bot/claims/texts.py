"""What the bot says in the insurer loop (Chinese first)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "claims.card.approved": {"zh": "核准 {amount}", "en": "approved {amount}"},
    "claims.card.claim_no": {"zh": "报案号 {claim_no}", "en": "claim no. {claim_no}"},
    "claims.card.assessed": {"zh": "定损 {amount}", "en": "assessed {amount}"},
    "claims.card.survey": {"zh": "查勘 {amount}", "en": "survey {amount}"},
    "claims.card.recognized": {"zh": "互认查勘结果", "en": "survey result recognised"},
    "claims.card.reason": {"zh": "理由 {reason}", "en": "reason: {reason}"},
    "claims.card.paid": {"zh": "已付 {total}（{parts}）", "en": "paid {total} ({parts})"},
    "claims.ping": {
        "zh": "📣 {mentions} 请审核 <b>{number}</b>\n{insurer} 承保车辆：{plates}\n{lines}\n合计待核准：<b>{total}</b>",
        "en": "📣 {mentions} please review <b>{number}</b>\nInsured by {insurer}: {plates}\n{lines}\nTo approve: <b>{total}</b>",
    },
    "claims.line": {
        "zh": "· {layer} → {payee}方 {amount}{advanced}",
        "en": "· {layer} → {payee} {amount}{advanced}",
    },
    "claims.advanced": {"zh": "（无责代赔）", "en": " (paid on behalf)"},
    "claims.nobody": {
        "zh": "（该公司在本群暂无定损员）",
        "en": "(no adjuster of this insurer here)",
    },
    "claims.b.approve": {"zh": "✅同意", "en": "✅ Approve"},
    "claims.b.adjust": {"zh": "✏️调整金额", "en": "✏️ Adjust"},
    "claims.b.survey": {"zh": "🔍申请查勘", "en": "🔍 Survey"},
    "claims.b.reject": {"zh": "❌拒绝", "en": "❌ Reject"},
    "claims.b.recognize": {
        "zh": "🤝{insurer} 认可此查勘结果",
        "en": "🤝 {insurer} accepts this survey",
    },
    "claims.b.paid_full": {"zh": "💰{insurer} 已全额赔付", "en": "💰 {insurer} paid in full"},
    "claims.b.resubmit": {"zh": "🔁已补充，重新提交", "en": "🔁 Updated, resubmit"},
    "claims.refused": {
        "zh": "只有{insurer}的定损员或主管可以操作此按钮。",
        "en": "Only {insurer}'s adjusters or supervisors may press this.",
    },
    "claims.stale": {
        "zh": "此请求已失效，请看最新消息。",
        "en": "This request is no longer current.",
    },
    "claims.forged": {"zh": "此按钮不属于这条消息。", "en": "This button does not belong here."},
    "claims.already": {"zh": "已记录，无需重复操作。", "en": "Already recorded."},
    "claims.saved": {"zh": "已记录", "en": "Recorded"},
    "claims.approved_line": {
        "zh": "✅ {insurer} 已同意 {amount}（{who}）。",
        "en": "✅ {insurer} approved {amount} ({who}).",
    },
    "claims.approved_toast": {
        "zh": "✅ {insurer} 已同意 {amount}",
        "en": "✅ {insurer} approved {amount}",
    },
    "claims.claim_ask": {
        "zh": "{asker} 请回复报案号和定损金额，例如：<code>报案号 RDAA2026001 定损 1800</code>",
        "en": "{asker} please reply with the claim number and the assessed amount, e.g. <code>报案号 RDAA2026001 定损 1800</code>",
    },
    "claims.claim_recorded": {
        "zh": "已记录 {insurer}：报案号 {claim_no}，定损 {assessed}",
        "en": "Recorded for {insurer}: claim no. {claim_no}, assessed {assessed}",
    },
    "claims.claim_still": {
        "zh": "还缺：{what}。请再回复。",
        "en": "Still missing: {what}. Please reply again.",
    },
    "claims.claim_bad": {
        "zh": "没有看懂。请回复：<code>报案号 RDAA2026001 定损 1800</code>",
        "en": "Not understood. Reply like <code>报案号 RDAA2026001 定损 1800</code>",
    },
    "claims.w.claim_no": {"zh": "报案号", "en": "claim number"},
    "claims.w.assessed": {"zh": "定损金额", "en": "assessed amount"},
    "claims.adjust_ask": {
        "zh": "{asker} 请回复 {insurer} 核准的金额（当前 {amount}），例如 <code>1800</code>",
        "en": "{asker} reply with the amount {insurer} approves (now {amount}), e.g. <code>1800</code>",
    },
    "claims.adjusted_line": {
        "zh": "✅ {insurer} 调整金额为 {amount} 并同意（原 {old}，{who}）。",
        "en": "✅ {insurer} approved an adjusted {amount} (was {old}, {who}).",
    },
    "claims.amount_bad": {
        "zh": "“{text}”不是有效金额（须为正数，不超过 {ceiling}）。请重新回复。",
        "en": "“{text}” is not a valid amount (positive, at most {ceiling}). Please reply again.",
    },
    "claims.survey": {
        "zh": "🔍 {insurer} 申请现场查勘（{who}），案件转为有争议。\n{assistant} 请配合查勘并补充材料；补充后点“重新提交”或修改估损。\n{asker} 查勘后请回复查勘定损金额，例如 <code>1800</code>",
        "en": "🔍 {insurer} asks for an on-site survey ({who}); the case is disputed.\n{assistant} please assist and update the evidence or figures, then resubmit.\n{asker} reply with the surveyed amount after the survey, e.g. <code>1800</code>",
    },
    "claims.survey_result": {
        "zh": "🔍 {insurer} 查勘结果：定损 {amount}。其他赔付方可一键认可（互认）。",
        "en": "🔍 {insurer} survey result: assessed {amount}. Other paying insurers may accept it with one tap.",
    },
    "claims.recognized": {
        "zh": "🤝 {insurer} 认可 {other} 的查勘结果（{who}）。",
        "en": "🤝 {insurer} accepts {other}'s survey result ({who}).",
    },
    "claims.reject": {
        "zh": "❌ {insurer} 拒绝赔付（{who}），案件转为有争议。\n{assistant} {police} 请跟进。\n{asker} 请回复拒绝理由。",
        "en": "❌ {insurer} rejects ({who}); the case is disputed.\n{assistant} {police} please follow up.\n{asker} please reply with the reason.",
    },
    "claims.reason_recorded": {
        "zh": "已记录 {insurer} 的拒绝理由：{reason}",
        "en": "{insurer}'s reason recorded: {reason}",
    },
    "claims.resubmit_refused": {
        "zh": "只有协理员、交警或管理员可以重新提交。",
        "en": "Only the assistant, police or an admin may resubmit.",
    },
    "claims.resubmit_gaps": {
        "zh": "材料仍不完整，无法重新提交。",
        "en": "Still incomplete; cannot resubmit.",
    },
    "claims.resubmitted": {"zh": "已重新提交给保险公司。", "en": "Resubmitted to the insurers."},
    "claims.all_approved_short": {
        "zh": "✅ 所有赔付方已同意，案件已核准。赔付后请点下方按钮，或在本话题发送 <code>/paid 金额 凭证号</code>（可分次）。",
        "en": "✅ Every paying insurer approved. After paying, press below or send <code>/paid amount reference</code> here (parts allowed).",
    },
    "claims.points": {
        "zh": "📍 就近定损/维修点（按距{origin}的直线距离）：\n{lines}",
        "en": "📍 Nearest assessment/repair points (straight-line distance from {origin}):\n{lines}",
    },
    "claims.point": {
        "zh": "· {insurer}：{name}，{address}，☎ {phone}（{km} km）",
        "en": "· {insurer}: {name}, {address}, ☎ {phone} ({km} km)",
    },
    "claims.point_none": {
        "zh": "· {insurer}：本地暂无登记的定损点，请致电保险公司。",
        "en": "· {insurer}: no point on file; call the insurer.",
    },
    "claims.origin.scene": {"zh": "事故现场", "en": "the scene"},
    "claims.origin.township": {"zh": "{township}", "en": "{township}"},
    "claims.paid": {
        "zh": "💰 {insurer} 已赔付 {amount}{ref}（累计 {paid} / {approved}）。",
        "en": "💰 {insurer} paid {amount}{ref} ({paid} of {approved}).",
    },
    "claims.ref": {"zh": "，凭证 {ref}", "en": ", ref. {ref}"},
    "claims.pay.not_approved": {
        "zh": "该赔付方尚未核准，不能登记赔付。",
        "en": "Not approved yet: no payment can be recorded.",
    },
    "claims.pay.already_paid": {"zh": "该赔付方已全额赔付。", "en": "Already paid in full."},
    "claims.pay.over": {
        "zh": "超额：已核准 {approved}，已付 {paid}，本次最多 {left}。",
        "en": "Over-payment: approved {approved}, paid {paid}, at most {left} now.",
    },
    "claims.pay.reopens_paid": {
        "zh": "该赔付方已全额赔付（核准 {approved}），更正后将不足额，不能这样修改。",
        "en": "Paid in full (approved {approved}); this correction would leave it short.",
    },
    "claims.paid_corrected": {
        "zh": "✏️ 已更正 {insurer} 的赔付：{old} → {amount}{ref}（累计 {paid} / {approved}）。",
        "en": "✏️ {insurer}'s payment corrected: {old} → {amount}{ref} ({paid} of {approved}).",
    },
    "claims.pay.edit_unrecorded": {
        "zh": "修改后的 /paid 不会登记新的赔付。如需登记，请发送一条新的 "
        "<code>/paid 金额 凭证号</code>。",
        "en": "An edited /paid records no new payment. To record one, send a new "
        "<code>/paid amount reference</code>.",
    },
    "claims.pay.edit_closed": {
        "zh": "抱歉，本案已结案，赔付记录不能再修改。如有出入，请联系协理员。",
        "en": "Sorry, this case is closed and its payments can no longer be changed. "
        "If something is wrong, please contact the assistant.",
    },
    "claims.pay.who": {
        "zh": "/paid 只能由本案赔付保险公司的定损员或主管在案件话题内使用。",
        "en": "/paid is for the paying insurers' adjusters or supervisors, in the case thread.",
    },
    "claims.pay.private": {
        "zh": "请在已登记的事故处理群的案件话题（或案件卡片的回复链）里发送 "
        "<code>/paid 金额 凭证号</code>。",
        "en": "Send <code>/paid amount reference</code> in a case's topic (or in reply to its "
        "card) in a registered accident group.",
    },
    "claims.pay.unregistered": {
        "zh": "本群尚未登记，没有案件。请在已登记的事故处理群的案件话题里发送 "
        "<code>/paid 金额 凭证号</code>。",
        "en": "This group is not registered, so it has no cases. Send <code>/paid amount "
        "reference</code> in a case's topic in a registered accident group.",
    },
    "claims.pay.not_in_case": {
        "zh": "请在案件话题（或案件卡片的回复链）里发送 <code>/paid 金额 凭证号</code>。",
        "en": "Send <code>/paid amount reference</code> in a case's topic (or in reply to its card).",
    },
    "claims.pay.usage": {
        "zh": "{problem}用法：<code>/paid 1800 凭证号</code>",
        "en": "{problem} Usage: <code>/paid 1800 reference</code>",
    },
    "claims.closed": {
        "zh": "🏁 <b>{number}</b> 已结案。\n{lines}\n合计赔付 {total}，历时 {duration}。",
        "en": "🏁 <b>{number}</b> closed.\n{lines}\n{total} paid in {duration}.",
    },
    "claims.closed_line": {
        "zh": "· {insurer}：核准 {approved}，已付 {paid}，报案号 {claim_no}，定损 {assessed}",
        "en": "· {insurer}: approved {approved}, paid {paid}, claim no. {claim_no}, assessed {assessed}",
    },
    "claims.section": {"zh": "<b>保险公司</b>", "en": "<b>Insurers</b>"},
    "claims.status.pinged": {"zh": "⏳待审核", "en": "⏳ awaiting"},
    "claims.status.approved": {"zh": "✅已同意", "en": "✅ approved"},
    "claims.status.paid": {"zh": "💰已赔付", "en": "💰 paid"},
    "claims.status.superseded": {"zh": "↩️已被重新报送取代", "en": "↩️ superseded by a resubmission"},
    "claims.status.survey": {"zh": "🔍申请查勘", "en": "🔍 survey"},
    "claims.status.rejected": {"zh": "❌已拒绝", "en": "❌ rejected"},
    "claims.card_line": {
        "zh": "{insurer} {status} · 待核准 {requested}{extra}",
        "en": "{insurer} {status} · requested {requested}{extra}",
    },
}
