"""Texts of the case timeline (/case), Chinese first."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "cmd.case": {"zh": "查看案件经过：/case 案件编号", "en": "A case's timeline: /case number"},
    "timeline.usage": {
        "zh": "请写明案件编号，例如：<code>/case HS-20261129-001</code>",
        "en": "Give the case number, e.g. <code>/case HS-20261129-001</code>",
    },
    "timeline.bad_number": {
        "zh": "“{text}”不是案件编号。编号形如 <code>HS-20261129-001</code>。",
        "en": "“{text}” is not a case number. Numbers look like <code>HS-20261129-001</code>.",
    },
    "timeline.unknown": {
        "zh": "未找到案件 {number}，请核对编号。",
        "en": "There is no case {number}; please check the number.",
    },
    "timeline.private": {
        "zh": "请在已登记的事故处理群里发送 <code>/case 案件编号</code>。",
        "en": "Send <code>/case number</code> in a registered accident group.",
    },
    "timeline.unregistered": {
        "zh": "本群尚未登记，无法查询案件。",
        "en": "This group is not registered, so cases cannot be looked up here.",
    },
    "timeline.refused": {
        "zh": "抱歉，{who}，您无权查看案件 {number} 的经过。"
        "交警和联席办可查看本辖区案件，保险公司人员可查看本公司赔付的案件。",
        "en": "Sorry {who}, you may not see the timeline of case {number}. Police and the "
        "liaison office see their groups' cases; insurers' people see cases their insurer pays.",
    },
    "timeline.title": {
        "zh": "🕘 案件 <b>{number}</b> · {township} · {status}",
        "en": "🕘 Case <b>{number}</b> · {township} · {status}",
    },
    "timeline.events": {"zh": "<b>经过</b>", "en": "<b>What happened</b>"},
    "timeline.no_events": {"zh": "（暂无记录）", "en": "(nothing recorded yet)"},
    "timeline.line": {"zh": "{time} {who}：{what}", "en": "{time} {who}: {what}"},
    "timeline.line.nobody": {"zh": "{time} {what}", "en": "{time} {what}"},
    "timeline.cut": {
        "zh": "…… 记录太长，省略中间 {count} 条（共 {total} 条）……",
        "en": "… too long: {count} of {total} entries left out …",
    },
    "timeline.steps": {"zh": "<b>各阶段用时</b>", "en": "<b>Time per step</b>"},
    "timeline.step": {"zh": "{from} → {to}：{duration}", "en": "{from} → {to}: {duration}"},
    "timeline.total.done": {"zh": "合计：{duration}", "en": "Total: {duration}"},
    "timeline.total.open": {
        "zh": "开案至今：{duration}（未结案）",
        "en": "Since opened: {duration} (still open)",
    },
    "timeline.step.opened": {"zh": "开案", "en": "opened"},
    "timeline.system": {"zh": "系统", "en": "system"},
    "timeline.user": {"zh": "用户{id}", "en": "user {id}"},
    # Durations.
    "timeline.dur.lt_minute": {"zh": "不到1分钟", "en": "under a minute"},
    "timeline.dur.d": {"zh": "{n}天", "en": "{n} d"},
    "timeline.dur.h": {"zh": "{n}小时", "en": "{n} h"},
    "timeline.dur.m": {"zh": "{n}分钟", "en": "{n} min"},
    "timeline.dur.sep": {"zh": "", "en": " "},
    # What happened, by audit event kind. {n}: how many were merged; {label}: 甲/乙.
    "timeline.ev.case.opened": {"zh": "开案", "en": "opened the case"},
    "timeline.ev.photo.added": {"zh": "添加照片 {n} 张", "en": "added {n} photo(s)"},
    "timeline.ev.photo.refused": {"zh": "照片未收（{reason}）", "en": "photo refused ({reason})"},
    "timeline.ev.photo.flagged": {"zh": "照片存疑（{flag}）", "en": "photo flagged ({flag})"},
    "timeline.ev.photo.download_failed": {"zh": "照片下载失败", "en": "photo download failed"},
    "timeline.ev.photo.retagged": {"zh": "调整照片归类", "en": "re-tagged a photo"},
    "timeline.ev.case.scene_set": {"zh": "标记事故现场", "en": "set the scene"},
    "timeline.ev.case.scenario": {"zh": "更改证据清单", "en": "changed the evidence checklist"},
    "timeline.ev.party.added": {"zh": "增加{label}方", "en": "added party {label}"},
    "timeline.ev.party.updated": {"zh": "填写{label}方信息", "en": "filled in party {label}"},
    "timeline.ev.party.updated.many": {
        "zh": "填写{label}方信息（{n} 次）",
        "en": "filled in party {label} ({n} times)",
    },
    "timeline.ev.party.repeat_flagged": {
        "zh": "{label}方近期另有事故（{other}）",
        "en": "party {label} was in another recent case ({other})",
    },
    "timeline.ev.party.confirmed": {
        "zh": "{label}方确认（{via}）",
        "en": "party {label} confirmed ({via})",
    },
    "timeline.ev.party.refused": {"zh": "{label}方表示不同意", "en": "party {label} disagreed"},
    "timeline.ev.party.confirmation_voided": {
        "zh": "{label}方确认因变更作废",
        "en": "party {label}'s confirmation voided by a change",
    },
    "timeline.ev.confirm.links_sent": {"zh": "发送确认链接", "en": "sent the confirmation links"},
    "timeline.ev.confirm.link_opened": {
        "zh": "确认链接被打开",
        "en": "a confirmation link was opened",
    },
    "timeline.ev.eligibility.answered": {
        "zh": "回答快处条件 {n} 项",
        "en": "answered {n} fast-path check(s)",
    },
    "timeline.ev.liability.situation": {
        "zh": "选择{label}方事故情形",
        "en": "chose party {label}'s situation",
    },
    "timeline.ev.liability.grade": {"zh": "直接定责：{label}方", "en": "set party {label}'s grade"},
    "timeline.ev.case.ready": {"zh": "材料齐全", "en": "case ready"},
    "timeline.ev.case.unready": {
        "zh": "资料变更，退回采集",
        "en": "back to collecting after a change",
    },
    "timeline.ev.case.police": {
        "zh": "转交警处理（{reasons}）",
        "en": "handed to police ({reasons})",
    },
    "timeline.ev.case.police.take_over": {
        "zh": "交警接管并认领",
        "en": "police took the case over",
    },
    "timeline.ev.case.handed_back": {"zh": "交警退回快处", "en": "police handed the case back"},
    "timeline.ev.case.cancelled": {
        "zh": "撤销案件，原因：{reason}",
        "en": "cancelled the case: {reason}",
    },
    "timeline.ev.case.awaiting_insurer": {"zh": "推送保险公司", "en": "sent to the insurers"},
    "timeline.ev.case.approved": {"zh": "保险公司全部核准", "en": "approved by every insurer"},
    "timeline.ev.case.paid": {"zh": "赔款付清", "en": "paid in full"},
    "timeline.ev.case.closed": {"zh": "结案", "en": "closed"},
    "timeline.ev.case.disputed": {"zh": "保险公司提出异议", "en": "disputed by an insurer"},
    "timeline.ev.police.claimed": {"zh": "认领案件", "en": "claimed the case"},
    "timeline.ev.sla.fired": {
        "zh": "⏰ {stage}{insurer}：{step}",
        "en": "⏰ {stage}{insurer}: {step}",
    },
    "timeline.ev.sla.acknowledged": {
        "zh": "接单（{stage}{insurer}）",
        "en": "acknowledged ({stage}{insurer})",
    },
    "timeline.ev.sla.ack_lapsed": {
        "zh": "接单已过期，未见处理（{stage}{insurer}）",
        "en": "acknowledgement lapsed without a decision ({stage}{insurer})",
    },
    "timeline.ev.sla.ack_refused": {
        "zh": "非提醒对象按下接单，未记录",
        "en": "pressed acknowledge on a reminder not addressed to them; nothing recorded",
    },
    "timeline.ev.police.released": {"zh": "释放认领", "en": "released the claim"},
    "timeline.ev.police.refused": {
        "zh": "尝试“{attempted}”被拒（无权限）",
        "en": "tried “{attempted}”, refused (not allowed)",
    },
    "timeline.ev.other": {"zh": "{kind}", "en": "{kind}"},
    "timeline.via.paper": {"zh": "纸质签字", "en": "on paper"},
    "timeline.via.telegram": {"zh": "本人在线确认", "en": "online, in person"},
    # What a refused police attempt was (audit `police.refused`, data `attempted`).
    "timeline.act.police.claim": {"zh": "认领", "en": "claim"},
    "timeline.act.police.release": {"zh": "释放认领", "en": "release"},
    "timeline.act.police.cancel": {"zh": "撤销案件", "en": "cancel"},
    "timeline.act.police.take_over": {"zh": "交警接管", "en": "take over"},
    "timeline.act.police.hand_back": {"zh": "退回快处", "en": "hand back"},
}
