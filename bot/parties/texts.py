"""What the bot says about parties, eligibility, liability, estimates and money."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # Names of things the rules define (bot/rules/): every enum member has its text.
    "parties.party": {"zh": "{label}方", "en": "Party {label}"},
    "parties.party_plate": {"zh": "{label}方 {plate}", "en": "Party {label} {plate}"},
    "parties.menu.more": {"zh": "更多…", "en": "More…"},
    "parties.menu.back": {"zh": "‹ 返回", "en": "‹ Back"},
    "parties.grade_button": {"zh": "{label}{grade}", "en": "{label} {grade}"},
    "parties.grade_liability": {"zh": "{grade}责任", "en": "{grade} liability"},
    "parties.pay.self": {"zh": "{label}方自付", "en": "party {label} pays"},
    "parties.pay.proxy": {"zh": "（{insurer}代赔）", "en": " (advanced by {insurer})"},
    "parties.pay.line": {
        "zh": "{payer} → {payee} {layer} {amount}{proxy}",
        "en": "{payer} → {payee} {layer} {amount}{proxy}",
    },
    "grade.full": {"zh": "全部", "en": "full"},
    "grade.major": {"zh": "主要", "en": "major"},
    "grade.equal": {"zh": "同等", "en": "equal"},
    "grade.minor": {"zh": "次要", "en": "minor"},
    "grade.none": {"zh": "无", "en": "no"},
    "layer.compulsory_property": {"zh": "交强险财产", "en": "compulsory (property)"},
    "layer.compulsory_no_fault": {"zh": "交强险无责", "en": "compulsory (no fault)"},
    "layer.third_party": {"zh": "商业三者", "en": "third-party liability"},
    "layer.own_damage": {"zh": "车损险", "en": "own damage"},
    "layer.mutual_self": {"zh": "互碰自赔", "en": "knock-for-knock"},
    "layer.party_direct": {"zh": "当事人自付", "en": "paid by the party"},
    "layer.self_borne": {"zh": "自担", "en": "borne by the owner"},
    "parties.section": {"zh": "<b>当事方</b>", "en": "<b>Parties</b>"},
    "parties.empty": {"zh": "{label}方：未填写", "en": "Party {label}: not entered"},
    "parties.confirmed": {"zh": "✅已确认（{via}）", "en": "✅ confirmed ({via})"},
    "parties.refused": {"zh": "❌不同意", "en": "❌ disagrees"},
    "parties.unconfirmed": {"zh": "⏳待确认", "en": "⏳ not confirmed"},
    "parties.via.telegram": {"zh": "本人Telegram", "en": "own Telegram"},
    "parties.via.paper": {"zh": "纸质", "en": "on paper"},
    "parties.estimate": {"zh": "估损 {amount}", "en": "estimate {amount}"},
    "parties.other": {"zh": "其他财产 {amount}", "en": "other property {amount}"},
    "parties.repeat": {
        "zh": "⚠️ {what} 在{hours}小时内另有案件 {other}",
        "en": "⚠️ {what} appears in another case within {hours} h: {other}",
    },
    "parties.elig.section": {"zh": "<b>快处核查</b>", "en": "<b>Fast-path check</b>"},
    "parties.elig.next": {"zh": "待答：{question}", "en": "To answer: {question}"},
    "parties.elig.ok": {"zh": "✅ 符合快处快赔条件", "en": "✅ Eligible for fast handling"},
    "parties.elig.failed": {"zh": "⛔ 不符合：{reasons}", "en": "⛔ Not eligible: {reasons}"},
    "parties.elig.q.injury": {"zh": "是否有人受伤？", "en": "Is anyone injured?"},
    "parties.elig.q.movable": {"zh": "车辆能否自行移动？", "en": "Can the vehicles be moved?"},
    "parties.elig.q.documents": {
        "zh": "双方驾驶证、行驶证、号牌、交强险是否有效？",
        "en": "Are both licences, plates and compulsory insurance valid?",
    },
    "parties.elig.q.intoxication": {
        "zh": "是否疑似酒驾、毒驾？",
        "en": "Any sign of drink or drugs?",
    },
    "parties.elig.q.dangerous_goods": {
        "zh": "是否载有危险物品？",
        "en": "Does a vehicle carry dangerous goods?",
    },
    "parties.elig.q.agreed": {
        "zh": "双方对事实和原因是否无争议？",
        "en": "Do the parties agree on the facts?",
    },
    "parties.elig.a.injury.True": {"zh": "有人受伤", "en": "Injured"},
    "parties.elig.a.injury.False": {"zh": "无人受伤", "en": "No injuries"},
    "parties.elig.a.movable.True": {"zh": "能移动", "en": "Movable"},
    "parties.elig.a.movable.False": {"zh": "不能移动", "en": "Not movable"},
    "parties.elig.a.documents.True": {"zh": "证件有效", "en": "Valid"},
    "parties.elig.a.documents.False": {"zh": "有问题", "en": "A problem"},
    "parties.elig.a.intoxication.True": {"zh": "疑似", "en": "Suspected"},
    "parties.elig.a.intoxication.False": {"zh": "无", "en": "None"},
    "parties.elig.a.dangerous_goods.True": {"zh": "有危险品", "en": "Yes"},
    "parties.elig.a.dangerous_goods.False": {"zh": "无", "en": "No"},
    "parties.elig.a.agreed.True": {"zh": "无争议", "en": "Agreed"},
    "parties.elig.a.agreed.False": {"zh": "有争议", "en": "Disputed"},
    "parties.liab.section": {
        "zh": "<b>责任（建议，以双方确认为准）</b>",
        "en": "<b>Liability (proposed; the parties decide)</b>",
    },
    "parties.liab.none": {"zh": "未定", "en": "not set"},
    "parties.liab.invalid": {
        "zh": "⚠️ 责任组合不成立，请重新选择",
        "en": "⚠️ These grades do not fit together",
    },
    "parties.liab.from_preset": {"zh": "依据：{items}", "en": "Based on: {items}"},
    "parties.money.section": {
        "zh": "<b>赔付测算（按估损）</b>",
        "en": "<b>Compensation (from estimates)</b>",
    },
    "parties.money.totals": {"zh": "合计：{totals}", "en": "Totals: {totals}"},
    "parties.ready.missing": {"zh": "还缺：{items}", "en": "Still missing: {items}"},
    "parties.ready.ready": {
        "zh": "✅ 材料齐全，可提交保险公司",
        "en": "✅ Complete: ready for the insurers",
    },
    "parties.ready.item.photos": {"zh": "现场照片", "en": "scene photos"},
    "parties.ready.item.parties": {"zh": "双方信息", "en": "both parties"},
    "parties.ready.item.party": {"zh": "{label}方信息", "en": "party {label}"},
    "parties.ready.item.eligibility": {"zh": "快处核查", "en": "fast-path check"},
    "parties.ready.item.ineligible": {"zh": "不符合快处条件", "en": "not eligible"},
    "parties.ready.item.liability": {"zh": "责任", "en": "liability"},
    "parties.ready.item.liability_invalid": {"zh": "有效的责任组合", "en": "valid grades"},
    "parties.ready.item.estimate": {"zh": "{label}方估损", "en": "estimate {label}"},
    "parties.ready.item.confirm": {"zh": "{label}方确认", "en": "confirmation {label}"},
    "parties.b.party": {"zh": "✏️{label}方", "en": "✏️ {label}"},
    "parties.b.add_party": {"zh": "＋{label}方", "en": "+ {label}"},
    "parties.b.situation": {"zh": "⚖️事故情形", "en": "⚖️ Situation"},
    "parties.b.direct": {"zh": "直接定责", "en": "Set grades"},
    "parties.b.estimate": {"zh": "💴录入估损", "en": "💴 Estimates"},
    "parties.b.other": {"zh": "其他财产损失", "en": "Other property"},
    "parties.b.links": {"zh": "📨发送确认链接", "en": "📨 Confirmation links"},
    "parties.b.paper": {"zh": "📝{label}方纸质确认", "en": "📝 {label} signed on paper"},
    "parties.b.confirm_yes": {"zh": "✅ 确认无误", "en": "✅ I confirm"},
    "parties.b.confirm_no": {"zh": "❌ 不同意", "en": "❌ I disagree"},
    "parties.b.share_contact": {"zh": "📱 分享我的手机号", "en": "📱 Share my phone number"},
    "parties.b.more": {"zh": "更多…", "en": "More…"},
    "parties.b.back": {"zh": "‹ 返回", "en": "‹ Back"},
    # Who stands behind the case towards the insurers (bot/parties/responsible.py).
    "parties.ready.needs_responsible": {
        "zh": "👤 需要协理员、交警或群管理员负责本案，才能提交保险公司：请点「🙋 我来负责」",
        "en": "👤 An assistant, police officer or group admin must take the case before it "
        "goes to the insurers: press “🙋 I'll take it”",
    },
    "parties.ready.ready_waiting": {
        "zh": "⏳ 材料齐全，待协理员、交警或群管理员负责后提交保险公司",
        "en": "⏳ Complete: goes to the insurers once an assistant, police officer or group "
        "admin takes the case",
    },
    "parties.ready.responsible": {"zh": "👤 负责人：{name}", "en": "👤 Responsible: {name}"},
    "parties.b.take": {"zh": "🙋 我来负责", "en": "🙋 I'll take it"},
    "parties.ack.taken": {"zh": "已由您负责本案", "en": "You are now responsible for this case"},
    "parties.ack.taken_already": {
        "zh": "本案已由 {name} 负责",
        "en": "{name} is already responsible for this case",
    },
    "parties.ack.take_not_allowed": {
        "zh": "只有协理员、交警或群管理员可以负责案件。",
        "en": "Only assistants, police officers or group admins can take a case.",
    },
    "parties.ready.taken_note": {
        "zh": "👤 {who} 负责本案。",
        "en": "👤 {who} is now responsible for this case.",
    },
    "q.plate": {
        "zh": "{who} 请回复{label}方车牌号，例如 {example}\n熟练后可一行填写：<code>{label} 湘C12345 平安 13800001111 张三</code>",
        "en": "{who} reply with party {label}'s plate, e.g. {example}\nQuick form: <code>{label} 湘C12345 平安 13800001111 张三</code>",
    },
    "q.insurer": {
        "zh": "{who} {label}方的交强险保险公司？",
        "en": "{who} party {label}'s compulsory insurer?",
    },
    "q.driver": {
        "zh": "{who} 请回复{label}方驾驶人姓名和电话，例如 张三 13800001111",
        "en": "{who} reply with party {label}'s driver name and phone, e.g. 张三 13800001111",
    },
    "q.name": {
        "zh": "{who} 请回复{label}方驾驶人姓名，例如 张三",
        "en": "{who} reply with party {label}'s driver name, e.g. 张三",
    },
    "q.phone": {
        "zh": "{who} 请回复{label}方驾驶人手机号，例如 13800001111",
        "en": "{who} reply with party {label}'s driver phone number, e.g. 13800001111",
    },
    "q.vehicle": {"zh": "{who} {label}方车辆类型？", "en": "{who} party {label}'s vehicle type?"},
    "q.estimate": {
        "zh": "{who} 请回复{label}方车损估价（元），例如 1800",
        "en": "{who} reply with party {label}'s damage estimate in yuan, e.g. 1800",
    },
    "parties.estimate_taken": {
        "zh": "✅ {label}方车损估价 {amount}",
        "en": "✅ Party {label}'s damage estimate {amount}",
    },
    "q.other": {
        "zh": "{who} 请回复其他财产损失，例如 <code>甲 300</code>（属于哪一方的财产，金额元）",
        "en": "{who} reply with other property damage, e.g. <code>甲 300</code> (whose property, yuan)",
    },
    "q.situation": {
        "zh": "选择有违法情形的一方：",
        "en": "Which party committed a listed violation?",
    },
    "q.situation_party": {"zh": "{label}方的事故情形：", "en": "Party {label}'s situation:"},
    "parties.ack.situation_chosen": {
        "zh": "✅ {label}方的事故情形：{situation}（如需改选，请在案件卡片上点“事故情形”）",
        "en": "✅ Party {label}'s situation: {situation} (to change it, use the card's button)",
    },
    "q.direct": {"zh": "直接设定各方责任：", "en": "Set each party's grade:"},
    "parties.ack.saved": {"zh": "已记录", "en": "Saved"},
    "parties.ack.chosen": {"zh": "✅ {label}方：{value}", "en": "✅ Party {label}: {value}"},
    "parties.ack.corrected": {
        "zh": "✏️ 已按修改后的消息更正{label}方信息。",
        "en": "✏️ Party {label} corrected as the message now says.",
    },
    "edit.other_party": {
        "zh": "修改只能更正原来那一方（{label}方）。其他方的信息请发送一条新消息。",
        "en": "An edit can only correct the party it was about ({label}). "
        "For another party, send a new message.",
    },
    "edit.not_taken": {
        "zh": "修改后的消息不会当作新的回答或录入。请发送一条新消息。",
        "en": "An edited message is not taken as a new answer or entry. Please send a new message.",
    },
    "edit.closed": {
        "zh": "案件当前状态不能修改，修改后的消息未生效，原来的信息保持不变。",
        "en": "The case cannot be changed in its current state; the edit changed nothing.",
    },
    "err.plate": {
        "zh": "车牌号“{text}”无法识别，请按例如 {example} 的格式重新回复。",
        "en": "“{text}” is not a plate; reply like {example}.",
    },
    "err.driver": {
        "zh": "请回复姓名和手机号，例如 张三 13800001111。",
        "en": "Reply with a name and a phone number, e.g. 张三 13800001111.",
    },
    "err.name": {
        "zh": "请回复驾驶人姓名（2至12个汉字或字母），例如 张三。",
        "en": "Reply with the driver's name (2 to 12 letters or characters), e.g. 张三.",
    },
    "err.phone": {
        "zh": "请回复手机号或固定电话，例如 13800001111。",
        "en": "Reply with a mobile or landline number, e.g. 13800001111.",
    },
    "err.vehicle": {
        "zh": "车辆类型“{text}”不在列表中，请点下方按钮选择。",
        "en": "“{text}” is not one of the vehicle types; choose a button below.",
    },
    "err.party_limit": {
        "zh": "本案最多登记 {max} 方车辆（{first}方至{last}方），无法再增加。"
        "车辆更多的事故请转交警处理，或请管理员调整上限。",
        "en": "A case can have at most {max} vehicles (parties {first} to {last}); no more "
        "can be added. For a larger accident hand the case to the police, or ask an "
        "administrator to raise the limit.",
    },
    "err.insurer": {
        "zh": "未找到保险公司“{text}”，请点按钮选择。",
        "en": "No insurer “{text}”; use the buttons.",
    },
    "err.amount.empty": {"zh": "请回复金额，例如 1800。", "en": "Reply with an amount, e.g. 1800."},
    "err.amount.not_a_number": {
        "zh": "“{text}”不是金额，请用阿拉伯数字，例如 1800 或 1800.50。",
        "en": "“{text}” is not an amount; use digits, e.g. 1800 or 1800.50.",
    },
    "err.amount.zero": {"zh": "金额不能为 0。", "en": "The amount cannot be 0."},
    "err.amount.negative": {"zh": "金额不能为负数。", "en": "The amount cannot be negative."},
    "err.amount.too_many_decimals": {"zh": "金额最多两位小数。", "en": "At most two decimals."},
    "err.amount.too_large": {"zh": "金额过大。", "en": "The amount is too large."},
    "err.amount.above_ceiling": {
        "zh": "超过快处快赔上限 {ceiling}，请转交警或保险公司现场查勘。",
        "en": "Above the fast-path ceiling of {ceiling}; hand over to police or a surveyor.",
    },
    "err.quick": {
        "zh": "未能识别：{tokens}。格式：<code>甲 湘C12345 平安 13800001111 张三</code>",
        "en": "Not understood: {tokens}. Format: <code>甲 湘C12345 平安 13800001111 张三</code>",
    },
    "err.other": {
        "zh": "请按 <code>甲 300</code> 的格式回复。",
        "en": "Reply like <code>甲 300</code>.",
    },
    "err.not_allowed": {
        "zh": "只有协理员、交警或开案人可以录入或修改案件信息。",
        "en": "Only assistants, police or the person who opened the case can enter or change it.",
    },
    "err.not_collecting": {
        "zh": "案件当前状态不能修改。",
        "en": "The case cannot be changed in its current state.",
    },
    "parties.handover": {
        "zh": "🚓 案件 {number} 不符合快处快赔条件（{reasons}），转交警处理。\n{mentions}\n已采集照片 {photos} 张；当事方：{parties}",
        "en": "🚓 Case {number} is not eligible ({reasons}); handed to police.\n{mentions}\nPhotos so far: {photos}; parties: {parties}",
    },
    "parties.links.intro": {
        "zh": "请各方驾驶人点击下方按钮，在与本机器人的私聊中核对并确认事故事实、责任和估损：",
        "en": "Each driver: tap your button to check and confirm the facts, liability and estimate in a private chat with the bot:",
    },
    "parties.links.button": {"zh": "{label}方驾驶人确认", "en": "Driver {label}: confirm"},
    "confirm.summary": {
        "zh": "案件 <b>{number}</b>（{township}）\n您是{label}方：{plate} {insurer}\n责任：{grade}\n估损：{estimate}\n{money}\n请核对后确认。",
        "en": "Case <b>{number}</b> ({township})\nYou are party {label}: {plate} {insurer}\nLiability: {grade}\nEstimate: {estimate}\n{money}\nPlease check and confirm.",
    },
    "confirm.unknown": {
        "zh": "确认链接无效或已过期。",
        "en": "This confirmation link is invalid or has expired.",
    },
    "confirm.done": {"zh": "✅ 已记录您的确认。", "en": "✅ Your confirmation is recorded."},
    "confirm.refused": {
        "zh": "已记录您不同意，协理员会联系您。",
        "en": "Recorded that you disagree; the assistant will contact you.",
    },
    "confirm.taken": {
        "zh": "该链接已由其他账号使用。",
        "en": "This link was used by another account.",
    },
    "confirm.share_contact": {
        "zh": "为确认您是{label}方驾驶人，请点击下方“📱 分享我的手机号”。号码须与案件登记的{label}方电话一致，您的回答才会记录。",
        "en": "To show you are driver {label}, tap “📱 Share my phone number” below. Your answer is recorded only if the number matches {label}'s phone on the case.",
    },
    "confirm.share_contact_short": {
        "zh": "请分享您的手机号以完成。",
        "en": "Please share your phone number to finish.",
    },
    "confirm.contact_mismatch": {
        "zh": "您分享的手机号与案件登记的{label}方电话不一致，未记录任何回答。如号码登记有误，请联系协理员更正，或在现场纸质签字确认。",
        "en": "The number you shared is not {label}'s phone on the case; nothing was recorded. If the phone on the case is wrong, ask the assistant to correct it, or sign on paper at the scene.",
    },
    "confirm.contact_not_own": {
        "zh": "只能分享您本人的手机号（请点击下方按钮，不要发送或转发他人的名片），未记录任何回答。",
        "en": "Only your own number counts (tap the button below; do not send or forward someone's contact card); nothing was recorded.",
    },
    "confirm.contact_unasked": {
        "zh": "请先打开群里的确认链接，核对后点击“✅ 确认无误”或“❌ 不同意”。",
        "en": "First open your confirmation link from the group, check it and tap “✅ I confirm” or “❌ I disagree”.",
    },
    "confirm.one_party": {
        "zh": "您已为本案{label}方作过回答；一个Telegram账号只能为一方确认。",
        "en": "You already answered for party {label} of this case; one Telegram account answers for one party only.",
    },
    "confirm.changed": {
        "zh": "案件信息已变更，请重新确认。",
        "en": "The case changed; please confirm again.",
    },
}
