"""What the evidence area says, in Chinese first and English second."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    # refusals: one clear line each
    "evidence.refused.empty": {
        "zh": "❌ 文件是空的，未保存。请重新发送照片。",
        "en": "❌ The file is empty and was not kept. Please send the photo again.",
    },
    "evidence.refused.too_big": {
        "zh": "❌ 文件超过 {mb} MB，机器人无法下载，未保存。请发送较小的照片。",
        "en": "❌ The file is over {mb} MB, which bots cannot download; not kept. Send a smaller photo.",
    },
    "evidence.refused.not_image": {
        "zh": "❌ 这不是照片（如 PDF、视频或损坏的文件），未保存。请发送 JPEG/PNG/WebP 照片。",
        "en": "❌ This is not a photo (a PDF, a video or a broken file); not kept. Send JPEG/PNG/WebP photos.",
    },
    "evidence.refused.format": {
        "zh": "❌ 不支持这种图片格式，未保存。请发送 {formats} 格式的照片。",
        "en": "❌ This image format is not accepted; not kept. Send {formats} photos.",
    },
    "evidence.refused.damaged": {
        "zh": "❌ 图片文件不完整或已损坏，未保存。请重新发送。",
        "en": "❌ The image is incomplete or damaged; not kept. Please send it again.",
    },
    "evidence.refused.bomb": {
        "zh": "❌ 图片尺寸异常（超过 {mp} 百万像素），未保存。",
        "en": "❌ The image declares an abnormal size (over {mp} megapixels); not kept.",
    },
    "evidence.refused.limit": {
        "zh": "❌ 本案照片已达上限 {max} 张，这张未保存。可用按钮更正已有照片的标签。",
        "en": "❌ This case already has the maximum of {max} photos; this one was not kept.",
    },
    "evidence.ask": {
        "zh": "📸 下一张请拍：<b>{slot}</b>（清单还缺 {left} 项）",
        "en": "📸 Next, please shoot: <b>{slot}</b> ({left} still missing)",
    },
    "evidence.ask.done": {
        "zh": "✅ 证据清单已齐全（{count} 张照片）。",
        "en": "✅ The evidence checklist is complete ({count} photos).",
    },
    # card
    "evidence.card.checklist": {
        "zh": "📋 证据清单 {done}/{total}（{scenario}）",
        "en": "📋 Evidence checklist {done}/{total} ({scenario})",
    },
    "evidence.card.missing": {"zh": "还缺：{items}", "en": "Missing: {items}"},
    "evidence.card.next": {"zh": "➡️ 下一张请拍：{slot}", "en": "➡️ Next shot: {slot}"},
    "evidence.card.complete": {"zh": "✅ 证据清单已齐全", "en": "✅ Evidence checklist complete"},
    "evidence.card.min": {
        "zh": "照片至少 {min} 张，还差 {short} 张",
        "en": "At least {min} photos needed; {short} more",
    },
    "evidence.card.pending": {"zh": "⏳ {n} 张照片保存中", "en": "⏳ {n} photos being saved"},
    "evidence.card.failed": {
        "zh": "❗ {n} 张照片多次下载失败，请重新发送",
        "en": "❗ {n} photos could not be downloaded; please send them again",
    },
    "evidence.card.nometa": {
        "zh": "ℹ️ {n} 张为压缩图，无拍摄时间和地点；以“文件”方式发送原图可保留时间和地点",
        "en": "ℹ️ {n} compressed photos carry no capture time or place; "
        "send photos as files to keep them",
    },
    "evidence.card.flag.reused": {
        "zh": "⚠️ 照片 #{n} 已用于案件 {other}（{by}）",
        "en": "⚠️ Photo #{n} already belongs to case {other} ({by})",
    },
    "evidence.card.flag.too_old": {
        "zh": "⚠️ 照片 #{n} 拍摄于开案前 {hours} 小时",
        "en": "⚠️ Photo #{n} was taken {hours} h before the case opened",
    },
    "evidence.card.flag.future": {
        "zh": "⚠️ 照片 #{n} 的拍摄时间 {taken} 晚于发送时间（相机时间有误或照片信息被改动）",
        "en": "⚠️ Photo #{n} claims to be taken at {taken}, after it was sent "
        "(wrong camera clock or edited photo data)",
    },
    "evidence.card.flag.too_far": {
        "zh": "⚠️ 照片 #{n} 拍摄地点距现场 {km} 公里",
        "en": "⚠️ Photo #{n} was taken {km} km from the scene",
    },
    "evidence.by.file_unique_id": {"zh": "同一文件", "en": "same file"},
    "evidence.by.sha256": {"zh": "内容相同", "en": "identical bytes"},
    "evidence.by.phash": {"zh": "画面几乎相同", "en": "near-identical picture"},
    "evidence.scenario.default": {"zh": "一般事故", "en": "general"},
    "evidence.scenario.junction": {"zh": "路口事故", "en": "junction"},
    "evidence.card.scene": {
        "zh": "📍 现场：距 {place} {km} 公里",
        "en": "📍 Scene: {km} km from {place}",
    },
    "evidence.card.scene_named": {
        "zh": "📍 现场：{name}，距 {place} {km} 公里",
        "en": "📍 Scene: {name}, {km} km from {place}",
    },
    "evidence.card.no_scene": {
        "zh": "📍 现场位置：未设置（在本案中发送位置即可）",
        "en": "📍 Scene: not set (share a location in this case)",
    },
    "evidence.button.retag": {"zh": "🏷 更正照片标签", "en": "🏷 Re-tag photos"},
    "evidence.button.scenario": {"zh": "🔁 改为{scenario}", "en": "🔁 Switch to {scenario}"},
    "evidence.button.extra": {"zh": "其他（不计入清单）", "en": "Other (not in checklist)"},
    "evidence.button.use_gps": {"zh": "📍 设为现场位置", "en": "📍 Use as the scene"},
    "evidence.slot.extra": {"zh": "其他", "en": "other"},
    "evidence.retag.pick_photo": {
        "zh": "🏷 选择要更正标签的照片：",
        "en": "🏷 Pick the photo to re-tag:",
    },
    "evidence.retag.pick_slot": {
        "zh": "🏷 照片 #{n} 现在是「{slot}」，改为：",
        "en": "🏷 Photo #{n} is now “{slot}”; change to:",
    },
    "evidence.retag.done": {"zh": "照片 #{n} 已改为「{slot}」", "en": "Photo #{n} is now “{slot}”"},
    # Single photos joined to their sender's case by time (rules.single_photo_join_minutes).
    "evidence.card.joined": {
        "zh": "🔗 后续照片 {numbers} 已并入本案，如为另一起事故请点该照片下的 ✂️ 拆分",
        "en": "🔗 Later photos {numbers} were added to this case; if one is another "
        "accident, press ✂️ under it to split it off",
    },
    "evidence.joined.note": {
        "zh": "🔗 已并入 {number}（距您上一张照片不到 {minutes} 分钟）。"
        "如为另一起事故，请点 ✂️ 拆分为新案件。",
        "en": "🔗 Added to {number} (less than {minutes} min after your previous photo). "
        "If it is another accident, press ✂️ to split it off into a new case.",
    },
    "evidence.button.split": {"zh": "✂️ 拆分为新案件", "en": "✂️ Split into a new case"},
    "evidence.split.done": {
        "zh": "✂️ 已拆分为新案件 {number}（{n} 张照片）",
        "en": "✂️ Split off into a new case {number} ({n} photos)",
    },
    "evidence.retag.gone": {
        "zh": "这张照片已不在本案中。",
        "en": "That photo is no longer in this case.",
    },
    "evidence.scenario.done": {"zh": "已改为{scenario}清单", "en": "Checklist: {scenario}"},
    "evidence.not_allowed": {
        "zh": "只有协理员、交警或开案人可以操作。",
        "en": "Only assistants, police or the person who opened the case can do this.",
    },
    "evidence.scene.set": {
        "zh": "📍 现场位置已记录：距 <b>{place}</b> {km} 公里。",
        "en": "📍 Scene recorded: {km} km from <b>{place}</b>.",
    },
    "evidence.scene.outside_case": {
        "zh": "请在案件话题（或回复案件卡片）中发送位置，以便记入案件。",
        "en": "Share the location in the case's topic (or as a reply to its card).",
    },
    "evidence.gps.propose": {
        "zh": "📷 照片 #{n} 带有拍摄位置（距 {place} {km} 公里）。设为现场位置？",
        "en": "📷 Photo #{n} carries its capture place ({km} km from {place}). Use it as the scene?",
    },
    "evidence.gps.done": {"zh": "已用照片位置作为现场", "en": "Scene set from the photo"},
}
