"""What the bot says about the agreement PDF (/agreement, the document's caption)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "agreement.caption": {
        "zh": "📄 <b>{number}</b> 自行协商协议书{draft}",
        "en": "📄 <b>{number}</b> settlement agreement{draft}",
    },
    "agreement.draft": {"zh": "（草稿，未结案）", "en": " (draft, case not closed)"},
    "agreement.not_in_case": {
        "zh": "请在案件话题（或案件卡片的回复链）里发送 /agreement。",
        "en": "Send /agreement in a case's topic (or in reply to its card).",
    },
    "agreement.private": {
        "zh": "请在已登记的事故处理群的案件话题（或案件卡片的回复链）里发送 /agreement。",
        "en": "Send /agreement in a case's topic (or in reply to its card) in a registered "
        "accident group.",
    },
    "agreement.unregistered": {
        "zh": "本群尚未登记，没有案件。请在已登记的事故处理群的案件话题里发送 /agreement。",
        "en": "This group is not registered, so it has no cases. Send /agreement in a case's "
        "topic in a registered accident group.",
    },
    "agreement.not_allowed": {
        "zh": "抱歉，只有协理员、交警、联席办、管理员和本案保险公司的人员可以生成协议书。",
        "en": "Sorry, only assistants, police, the liaison office, admins and this case's "
        "insurers can produce the agreement.",
    },
    "cmd.agreement": {
        "zh": "生成本案的自行协商协议书（PDF）",
        "en": "Produce this case's settlement agreement (PDF)",
    },
}
