"""What the bot says about people and roles (/join, /role, /whoami, /team)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "role.assistant": {"zh": "协理员", "en": "assistant"},
    "role.adjuster": {"zh": "定损员", "en": "adjuster"},
    "role.supervisor": {"zh": "保险主管", "en": "insurer supervisor"},
    "role.police": {"zh": "交警", "en": "police"},
    "role.liaison": {"zh": "联席办", "en": "liaison office"},
    "role.admin": {"zh": "管理员", "en": "admin"},
    "roles.source.deployment": {"zh": "部署文件", "en": "deployment file"},
    "roles.source.chat": {"zh": "群内授权", "en": "granted in this group"},
    "roles.source.telegram": {"zh": "Telegram群管理员", "en": "Telegram group admin"},
    "roles.duty.on": {"zh": "值班中", "en": "on duty"},
    "roles.duty.off": {"zh": "不在班", "en": "off duty"},
    "roles.duty.always": {"zh": "全天", "en": "always"},
    "roles.private": {
        "zh": "请在事故处理群里使用这个命令，而不是私聊。",
        "en": "Use this command in the accident group, not in a private chat.",
    },
    "roles.unregistered": {
        "zh": "本群尚未登记。请群管理员先发送 <code>/setup 乡镇名</code>。",
        "en": "This group is not registered yet. An admin sends <code>/setup township</code> first.",
    },
    "roles.join.usage": {
        "zh": "用法：<code>/join 定损员 平安</code>、<code>/join 交警</code>，或只发 /join 用按钮选择。",
        "en": "Usage: <code>/join adjuster PINGAN</code>, <code>/join police</code>, "
        "or just /join to choose with buttons.",
    },
    "roles.join.pick_role": {
        "zh": "{who}，请选择要申请的角色：",
        "en": "{who}, choose the role you are asking for:",
    },
    "roles.join.pick_insurer": {
        "zh": "{who}，申请{role}：请选择所属保险公司：",
        "en": "{who}, {role}: choose your insurer:",
    },
    "roles.join.request": {
        "zh": "🙋 {who} 申请成为本群的 <b>{role}</b>{insurer}。\n请群管理员审批。",
        "en": "🙋 {who} asks to be <b>{role}</b>{insurer} in this group.\nA group admin decides.",
    },
    "roles.join.already": {
        "zh": "{who} 已经是本群的{role}{insurer}。",
        "en": "{who} is already {role}{insurer} in this group.",
    },
    "roles.join.approved": {
        "zh": "✅ {who} 现为本群的 <b>{role}</b>{insurer}（{admin} 批准）。",
        "en": "✅ {who} is now <b>{role}</b>{insurer} in this group (approved by {admin}).",
    },
    "roles.join.denied": {
        "zh": "❌ {who} 申请{role}{insurer}未获批准（{admin}）。",
        "en": "❌ {who}'s request to be {role}{insurer} was declined ({admin}).",
    },
    "roles.button.approve": {"zh": "✅ 批准", "en": "✅ Approve"},
    "roles.button.deny": {"zh": "❌ 拒绝", "en": "❌ Decline"},
    "roles.alert.not_admin": {
        "zh": "只有群管理员可以审批角色申请。",
        "en": "Only a group admin can decide role requests.",
    },
    "roles.alert.not_yours": {
        "zh": "这是别人的申请，请自己发送 /join。",
        "en": "This is someone else's request; send /join yourself.",
    },
    "roles.alert.decided": {
        "zh": "这个申请已经处理过了。",
        "en": "This request was already decided.",
    },
    "roles.alert.done": {"zh": "已处理。", "en": "Done."},
    "roles.role.usage": {
        "zh": "用法（群管理员，回复某人的消息）：<code>/role 定损员 平安</code>、"
        "<code>/role 交警</code>、<code>/role remove 定损员</code>",
        "en": "Usage (group admins, replying to someone's message): "
        "<code>/role adjuster PINGAN</code>, <code>/role police</code>, "
        "<code>/role remove adjuster</code>",
    },
    "roles.role.not_admin": {
        "zh": "抱歉，只有群管理员可以设置角色。",
        "en": "Sorry, only a group admin can set roles.",
    },
    "roles.role.granted": {
        "zh": "✅ {who} 现为本群的 <b>{role}</b>{insurer}。",
        "en": "✅ {who} is now <b>{role}</b>{insurer} in this group.",
    },
    "roles.role.removed": {
        "zh": "✅ 已取消 {who} 在本群的{role}角色。",
        "en": "✅ {who} is no longer {role} in this group.",
    },
    "roles.role.not_held": {
        "zh": "{who} 在本群没有群内授予的{role}角色（部署文件中的角色需改部署文件）。",
        "en": "{who} holds no {role} role granted in this group "
        "(roles from the deployment file are changed there).",
    },
    "roles.bad_role": {
        "zh": "未知角色“{text}”。可选：{choices}",
        "en": "Unknown role “{text}”. Choices: {choices}",
    },
    "roles.admin_not_grantable": {
        "zh": "管理员身份以Telegram群管理员为准，不能在这里申请或授予。",
        "en": "Admin status comes from Telegram's group admins; it cannot be asked for or granted here.",
    },
    "roles.need_insurer": {
        "zh": "{role}需要写明保险公司，例如：<code>{example}</code>。可选：{choices}",
        "en": "{role} needs an insurer, e.g. <code>{example}</code>. Choices: {choices}",
    },
    "roles.no_insurer": {
        "zh": "{role}不属于保险公司，请不要写保险公司。",
        "en": "{role} does not belong to an insurer; leave the insurer out.",
    },
    "roles.bad_insurer": {
        "zh": "未找到保险公司“{text}”。可选：{choices}",
        "en": "No insurer called “{text}”. Choices: {choices}",
    },
    "roles.whoami.title": {"zh": "{who} 在本群的角色：", "en": "{who}'s roles in this group:"},
    "roles.whoami.none": {
        "zh": "{who} 在本群还没有角色。发送 /join 申请。",
        "en": "{who} has no role in this group yet. Send /join to ask for one.",
    },
    "roles.team.title": {"zh": "<b>本群人员</b> · {township}", "en": "<b>People</b> · {township}"},
    "roles.team.empty": {
        "zh": "本群还没有登记任何人员。发送 /join 申请角色。",
        "en": "No one has a role in this group yet. Send /join to ask for one.",
    },
    "roles.team.more": {
        "zh": "……（列表过长，省略 {count} 行）",
        "en": "… (too long: {count} lines left out)",
    },
    "cmd.join": {
        "zh": "申请角色：/join 定损员 平安",
        "en": "Ask for a role: /join adjuster PINGAN",
    },
    "cmd.role": {
        "zh": "设置角色（管理员，回复某人）：/role 交警",
        "en": "Set a role (admins, in reply): /role police",
    },
    "cmd.whoami": {"zh": "我在本群的角色", "en": "My roles in this group"},
    "cmd.team": {"zh": "本群人员与角色", "en": "People and roles in this group"},
}
