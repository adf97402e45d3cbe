"""Every user-facing text of tepai, in Simplified Chinese, in one place.

Plain text: the only markup is the neutral emphasis `**…**` (core/markup.py), which each
channel renders its own way (Telegram: `<b>`). Values go in with `core.markup.fmt`, never
with `str.format`, where a text is shown with emphasis. Renderers here turn neutral content
(`knowledge.answers.Answer`) into plain text.

Imports nothing heavy: `import store.validators` (regexes and these texts) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.answers import Answer, Citation

ANSWER_LEAD = "根据现有政策文件，与您的问题相关的条款如下："
GENERATED_SOURCES = "依据条款："
DRAFT_NOTE = "⚠️ 注意：所引《{title}》为征求意见稿，尚未正式施行，内容可能调整，请以正式发布版本为准。"
NOT_COVERED = (
    "抱歉，现有政策文件中没有找到能回答这个问题的条款，为避免误导，暂不作答。\n"
    "如需进一步咨询，可以转人工，由市科技局工作人员答复。"
)
INVALID_QUESTION = {
    "empty": "请输入您想咨询的政策问题，例如：“到2027年特派员覆盖率目标是多少？”",
    "too_long": "问题太长了（上限 {limit} 字），请精简后再问，一次问一个问题效果最好。",
    "no_text": "没有识别到文字内容，请用文字描述您想咨询的政策问题。",
}
INDEX_BUSY = "另一个进程正在更新知识库，请稍后再试。"
INTERNAL_ERROR = "抱歉，处理时出现内部错误，已记录，请稍后再试。"
BYE = "再见！"
INDEXING_BUNDLED = "正在建立政策知识库（首次运行）…"

INDEX_SUMMARY = (
    "索引完成：新增 {added}，更新 {updated}，未变 {skipped}，失败 {failed}，移除 {pruned}；"
    "共 {chunks} 个条款片段。"
)
INDEX_FAILED_FILE = "  ✗ {path}：{reason}"


# Document validity beside every citation (knowledge.metadata)
ISSUER_UNKNOWN = "发文机关未注明"
DATE_UNKNOWN = "日期未注明"
AMENDED_MARK = "（已被修改）"
AMENDED_NOTE = "⚠️ 注意：所引《{title}》已被{by}修改，条款可能已调整，请以修改后的规定为准。"
PENDING_NOTE = "⚠️ 注意：所引《{title}》自{date}起施行，目前尚未生效。"


def cn_date(iso: str) -> str:
    """2016-01-29 → 2016年1月29日."""
    try:
        year, month, day = (int(part) for part in iso.split("-"))
    except ValueError:
        return iso
    return f"{year}年{month}月{day}日"


def _quoted(reference: str) -> str:
    # A title is shown in 《》; a 文号 (国科发火〔2016〕195号) as it is.
    return reference if reference.startswith("《") or "号" in reference[-2:] else f"《{reference}》"


def source_line(citation: Citation) -> str:
    """《title》（issuer，文号，date） section — issuer and date always, said when unknown."""
    meta = [citation.issuer or ISSUER_UNKNOWN]
    if citation.doc_number:
        meta.append(citation.doc_number)
    meta.append(cn_date(citation.date) if citation.date else DATE_UNKNOWN)
    draft = "（征求意见稿）" if citation.draft and "征求意见稿" not in citation.doc else ""
    amended = AMENDED_MARK if citation.amended_by else ""
    return f"《{citation.doc}》{draft}{amended}（{'，'.join(meta)}） {citation.section}"


def doc_summary(doc) -> str:  # type: ignore[no-untyped-def]
    """One line of a document's validity (a DocRecord): status, issuer, 文号, dates, amendment."""
    parts = [DOC_STATUS.get(doc.status, doc.status)]
    if doc.status in ("retired", "repealed"):
        parts[0] += DOC_NOT_CITED
    parts.append(doc.issuer or ISSUER_UNKNOWN)
    if doc.doc_number:
        parts.append(doc.doc_number)
    parts.append(cn_date(doc.date) if doc.date else DATE_UNKNOWN)
    if doc.effective:
        parts.append(f"自{cn_date(doc.effective)}起施行")
    if doc.amended_by:
        parts.append(DOC_AMENDED_BY.format(by=_quoted(doc.amended_by)))
    return " · ".join(parts)


def validity_notes(answer: Answer, today: str | None = None) -> list[str]:
    """Warnings under an answer: drafts, amended documents, documents not yet in force."""
    if today is None:
        from datetime import datetime
        from zoneinfo import ZoneInfo

        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    notes = [DRAFT_NOTE.format(title=t) for t in sorted({c.doc for c in answer.citations if c.draft})]
    amended = sorted({(c.doc, c.amended_by) for c in answer.citations if c.amended_by})
    notes += [AMENDED_NOTE.format(title=title, by=_quoted(by)) for title, by in amended]
    pending = sorted({(c.doc, c.effective) for c in answer.citations if c.effective and c.effective > today})
    notes += [PENDING_NOTE.format(title=title, date=cn_date(date)) for title, date in pending]
    return notes


draft_notes = validity_notes


def render_answer(answer: Answer) -> str:
    """The reply as plain text: lead, quoted clauses with sources, draft warning."""
    if not answer.answered:
        return NOT_COVERED
    lines: list[str] = []
    if answer.generated:
        lines.append(answer.generated.strip())
        lines.append("")
        lines.append(GENERATED_SOURCES)
    else:
        lines.append(ANSWER_LEAD)
    for number, citation in enumerate(answer.citations, 1):
        lines.append("")
        lines.append(f"[{number}] {source_line(citation)}")
        lines.append(f"「{citation.text}」")
    notes = validity_notes(answer)
    if notes:
        lines.append("")
        lines.extend(notes)
    return "\n".join(lines)


def invalid_question(code: str, limit: int) -> str:
    return INVALID_QUESTION.get(code, INVALID_QUESTION["no_text"]).format(limit=limit)


# -- Telegram bot ----------------------------------------------------------------------

ROLE_NAMES = {"enterprise": "企业用户", "specialist": "科技特派员", "staff": "科技局工作人员"}

WELCOME = {
    "enterprise": (
        "您好，{name}！我是科技特派员专项行动政策助手。\n\n"
        "直接发送您的问题即可，例如：“入库的科技型中小企业能享受什么税收政策？”\n"
        "我会引用政策原文作答；文件里没有的，我会如实告诉您，并可转给科技局工作人员。\n\n"
        "发送 /help 查看全部功能。"
    ),
    "specialist": "您好，{name}老师！我是科技特派员专项行动助手。您可以直接提问政策问题，发送 /help 查看全部功能。",
    "staff": "您好，{name}！您是科技局工作人员，可以管理政策文件、答复转人工问题。发送 /help 查看工作人员命令。",
}

HELP = {
    "enterprise": (
        "**可以这样用我**\n"
        "• 直接发送政策问题，我会引用原文条款作答\n"
        "• 答案下方可评价“有帮助/没帮助”，或点“转人工”由工作人员答复\n"
        "• /survey 填写年度需求调查（随时可 /cancel 暂停，已填内容自动保存）\n"
        "• /nominate 申报一位已与贵企业合作的专家为科技特派员（科技局审核）\n"
        "• /cancel 退出当前操作\n"
        "目前只支持文字消息。"
    ),
    "specialist": (
        "**可以这样用我**\n"
        "• 直接发送政策问题，我会引用原文条款作答\n"
        "• /register 特派员登记；/proposals 查看待答复的对接邀请\n"
        "• /cancel 退出当前操作"
    ),
    "staff": (
        "**工作人员命令**\n"
        "• 发送政策文件（PDF、DOCX、TXT、MD、HTML）即可更新知识库\n"
        "• /docs 查看政策文件及状态，可停用或恢复\n"
        "• /unanswered 查看待答复的问题；直接**回复**转来的问题消息即可答复提问人\n"
        "• /campaign open 2026 开启年度需求调查，/campaign close 2026 关闭\n"
        "• /survey_stats 需求调查统计；/export [年份] [csv] 导出需求调查\n"
        "• /approve 审核特派员登记；/match 信用代码 查看某企业的前 10 位推荐特派员\n"
        "• /members 信用代码 查看企业的已验证人员、加入申请和变更记录（可移除冒用者）；/claims 待确认的企业加入申请\n"
        "• /assign 为本年度全部需求提出分配方案，核对后批准并通知特派员\n"
        "• /conflict 信用代码 特派员编号 登记利益冲突（不再配对）；/conflict 查看全部\n"
        "• /stats [年份] 科技特派员覆盖率（对照 2027 年 50% 目标），附各区县图表\n"
        "• /broadcast 发布公告（按范围、可带附件、可定时）；/broadcast_status 查看进度；/broadcast_cancel 编号 取消；"
        "/broadcast_resend 编号 重发中断时正在发送的记录\n"
        "• 也可以直接提问，检验答案效果"
    ),
}
COMMANDS = {
    "enterprise": [("start", "开始"), ("survey", "填写需求调查"), ("nominate", "申报合作专家"), ("help", "使用说明"), ("cancel", "退出当前操作")],
    "specialist": [("start", "开始"), ("register", "特派员登记"), ("proposals", "待答复的对接邀请"), ("help", "使用说明"), ("cancel", "退出当前操作")],
    "staff": [("start", "开始"), ("help", "工作人员命令"), ("docs", "政策文件管理"),
              ("unanswered", "待答复问题"), ("campaign", "需求调查开关"), ("survey_stats", "需求调查统计"), ("stats", "覆盖率统计"),
              ("export", "导出需求调查"), ("approve", "审核特派员登记"), ("members", "企业人员与变更记录"), ("claims", "企业加入申请"), ("match", "查看推荐特派员"), ("assign", "分配特派员"), ("conflict", "登记利益冲突"), ("broadcast", "发布公告"),
              ("broadcast_status", "公告发送进度"), ("cancel", "退出当前操作")],
}
NOTHING_TO_CANCEL = "当前没有进行中的操作。有问题可以直接发给我。"

BUTTON_HELPFUL = "👍 有帮助"
BUTTON_UNHELPFUL = "👎 没帮助"
BUTTON_HANDOFF = "转人工"
FEEDBACK_THANKS = "感谢反馈！"
FEEDBACK_SORRY = "抱歉没能帮上忙。可以点“转人工”，由工作人员答复。"
FEEDBACK_ALREADY = "已记录过您的反馈。"
STALE_BUTTON = "这个按钮已失效，请重新提问。"
NOT_YOUR_BUTTON = "这个按钮不是给您的。"

HANDOFF_ACCEPTED = "已转给科技局工作人员，答复会发送到这里，请留意。"
HANDOFF_ALREADY = "这个问题已经转给工作人员了，请耐心等待答复。"
HANDOFF_NO_STAFF = "已记录您的问题，工作人员上线后会答复您。"
UNANSWERED_LOGGED = "（已将问题记录并转给科技局工作人员，答复会发送到这里。）"
HANDOFF_TO_STAFF = (
    "🙋 **待答复 #{id}**（{reason}）\n"
    "提问人：{name}（ID {telegram_id}）\n"
    "问题：{question}\n"
    "最佳匹配分：{score:.2f}\n\n"
    "直接**回复本消息**即可答复提问人。"
)
HANDOFF_REASONS = {"unanswered": "文件未覆盖", "requested": "用户请求转人工"}
STAFF_REPLY_TO_USER = "💬 **科技局工作人员答复**（关于：{question}）\n\n{reply}"
UNANSWERED_EMPTY = "目前没有待答复的问题。"
UNANSWERED_HEADER = "**待答复问题（{count}）**"
UNANSWERED_ITEM = "#{id} · {time} · {name}：{question}"

STAFF_ONLY = "抱歉，这是科技局工作人员专用功能。"
UNKNOWN_COMMAND = "没有这个命令。发送 /help 查看可用功能，或直接输入您的问题。"
TEXT_ONLY = "抱歉，目前只能处理文字消息。请用文字描述您的问题。"
FILE_NOT_FOR_YOU = "抱歉，目前只能处理文字消息；政策文件由科技局工作人员统一上传。"
SLOW_DOWN = "您发送得太快了，请稍等一分钟再试。"
INTERNAL_ERROR_CHAT = "抱歉，处理您的消息时出了点问题，请稍后再试。"

DOC_RECEIVED = "📄 已收到《{name}》，正在建立索引…"
DOC_PROGRESS = "📄 《{name}》：{stage}…"
DOC_DONE = "✅ 《{name}》已更新知识库：新增 {added}，更新 {updated}，未变 {skipped}；现共 {chunks} 个条款片段。"
DOC_FAILED = "❌ 《{name}》无法索引：{reason}"
DOC_UNSUPPORTED = "❌ {reason}。"  # reason: knowledge.readers.unsupported_reason (what to send instead)
DOC_TOO_BIG = "❌ 文件过大（上限 20 MB）。"
DOC_BUSY = "知识库正在更新，请稍后再发送。"
# Files (bounded parsing, content-keyed uploads)
DOC_INTERNAL = "处理时出现内部错误，已记录，请稍后再试"
DOCS_EMPTY = "知识库里还没有文件。"
DOCS_HEADER = "**政策文件（{count}）**"
DOCS_ITEM = "{n}. 《{title}》 — {status}{issuer}"
DOC_STATUS = {"current": "现行", "draft": "征求意见稿", "retired": "已停用", "repealed": "已废止", "amended": "已修改"}
# Document metadata: /docs set and `tepai docs`
DOCS_SET_HINT = ("更正文件信息：/docs set 编号 字段 值（字段：状态、发文机关、文号、日期、施行日期、修改文件、标题；"
                 "值写 - 表示恢复为文件中读取的信息）。例如：/docs set 2 状态 已废止")
DOCS_SET_USAGE = ("用法：/docs set 编号 字段 值\n例如：/docs set 2 状态 已废止；/docs set 2 修改文件 国科发火〔2016〕195号；"
                  "/docs set 2 日期 2016-01-29\n字段：状态、发文机关、文号、日期、施行日期、修改文件、标题")
DOCS_NO_SUCH_DOC = "没有编号为 {ref} 的文件，请先发送 /docs 查看编号。"
DOCS_NO_SUCH_FIELD = "没有“{field}”这个字段。可用字段：状态、发文机关、文号、日期、施行日期、修改文件、标题。"
DOCS_BAD_VALUE = "❌ {reason}"
DOCS_UPDATED = "已更新《{title}》：{changes}。"
DOCS_CLEARED = "恢复为文件中读取的信息"
DOC_META_ITEM = "{label}：{value}"
DOC_AMENDED_BY = "已被{by}修改"
DOC_FIELD_UNKNOWN = "未注明"
DOC_NOT_CITED = "（不再引用）"
CLI_DOCS_NO_SUCH_DOC = "没有找到文件 {ref}（用 tepai docs list 查看编号）。"
CLI_DOCS_NOTHING_TO_SET = "请至少给出一项要更正的信息，例如 --status repealed 或 --amended-by 国科发火〔2016〕195号。"
BUTTON_RETIRE = "停用 {n}"
BUTTON_RESTORE = "恢复 {n}"
DOC_RETIRED = "已停用《{title}》，今后不再引用。"
DOC_RESTORED = "已恢复《{title}》。"

# -- CLI ------------------------------------------------------------------------------
DB_UPGRADED = "数据库已是最新版本。"
WEBHOOK_NEEDS_TOKEN = "使用 --webhook 需要设置 TELEGRAM_BOT_TOKEN。"
WEBHOOK_NEEDS_SECRET = "使用 --webhook 需要设置 TEPAI_WEBHOOK_SECRET（Telegram 每次推送都会带上它，用来拒绝伪造的请求）。"
NO_TOKEN_CHAT = "未设置 TELEGRAM_BOT_TOKEN：打开终端对话（本地模拟 Telegram）。"
STAFF_ADDED = "已添加工作人员 {id}。"
STAFF_EXISTS = "{id} 已经是工作人员。"
STAFF_REMOVED = "已移除工作人员 {id}。"
STAFF_MISSING = "{id} 不在工作人员名单（数据库）中。"
STAFF_IN_ENV = "注意：{id} 仍在 TEPAI_STAFF_IDS 环境变量中，请一并删除。"
STAFF_NONE = "尚未设置工作人员。用 tepai staff add <Telegram 用户编号> 添加，或设置 TEPAI_STAFF_IDS。"
EXPORTED = "已导出 {count} 条记录到 {path}"

# -- terminal chat ----------------------------------------------------------------------
CHAT_STARTING = "正在启动 tepai（本地模拟 Telegram，首次运行会建立政策知识库）…"
CHAT_HELP = (
    "已作为{role}（用户 {user}）连接。直接输入消息；输入数字选择按钮；"
    "“@消息号 文本”回复某条消息；“/file 路径”发送文件；/quit 退出。"
)
CHAT_DEFAULT_NAMES = {"enterprise": "企业用户", "specialist": "特派员", "staff": "工作人员"}
CHAT_NO_SUCH_CHOICE = "没有这个选项（可选 1–{count}）。"
CHAT_FILE_UNREADABLE = "无法读取文件 {path}：{reason}"

# -- demand survey (需求摸底调查) -------------------------------------------------------------
DISTRICTS = ["历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区",
             "平阴县", "商河县", "济南高新区", "济南新旧动能转换起步区", "南部山区"]
FIELDS = ["电子信息", "生物与新医药", "航空航天", "新材料", "高技术服务", "新能源与节能", "资源与环境",
          "先进制造与自动化", "现代农业"]
DIRECTIONS = ["关键技术研发攻关", "成果转移转化（中试基地、检测验证平台）", "人才引进培养",
              "企业梯次培育（科技型中小企业入库、高企认定）"]
REGISTERED = {"yes": "是", "no": "否", "applying": "正在申请"}
OTHER = "其他"
SURVEY_QUESTIONS = {
    "name": "1/11 请输入**企业名称**（2–60 字）：",
    "credit_code": "2/11 请输入**统一社会信用代码**（18 位，见营业执照）：",
    "credit_confirm": ("信用代码 {code} 已有企业登记。如果您是这家企业的人员，可以申请加入：填完提交后，由该企业已验证的联系人"
                       "或科技局工作人员确认（他们会看到您填写的企业名称、联系人和手机）。确认之前，您看不到该企业的任何信息，"
                       "您的填写也不会改动该企业的记录。\n要申请加入吗？"),
    "district": "3/11 请选择企业**所在区县（功能区）**：",
    "district_other": "请输入所在区县（功能区）名称：",
    "registered": "4/11 企业是否已**入库科技型中小企业**？",
    "registry_no": "请输入**入库编号**（可选，没有请发送“跳过”）：",
    "field": "5/11 请选择企业的**产业领域**：",
    "field_other": "请输入产业领域名称：",
    "product": "6/11 请输入企业的**主导产品**（2–200 字）：",
    "directions": "7/11 请选择**需求方向**（可多选，选好后点“完成”）：\n已选：{chosen}",
    "directions_other": "请输入其他需求方向：",
    "description": "8/11 请描述**具体需求**：遇到了什么问题、已经尝试过什么（20–1000 字）。",
    "expected": "9/11 对**期望的科技特派员**有什么要求？如单位类型、学科方向（可选，没有请发送“跳过”）：",
    "contact": "10/11 请输入**联系人**姓名：",
    "phone": "10/11 请输入联系人**手机号**（11 位）：",
    "consent": ("11/11 是否**同意**将本需求提供给匹配的科技特派员？\n"
                "同意后，匹配成功的特派员可看到您的需求；联系电话只在您接受对接后提供。不同意将无法为您匹配特派员。"),
}
SURVEY_LABELS = {
    "name": "企业名称", "credit_code": "统一社会信用代码", "district": "所在区县（功能区）",
    "registered": "是否已入库科技型中小企业", "registry_no": "入库编号", "field": "产业领域",
    "product": "主导产品", "directions": "需求方向", "description": "需求描述", "expected": "期望的特派员",
    "contact": "联系人", "phone": "手机", "consent": "同意提供给匹配的特派员",
}
SURVEY_NO_CAMPAIGN = "今年的需求摸底调查尚未开始，开始后会通知您。您可以随时直接提问政策问题。"
SURVEY_STARTED = "📋 开始{year}年度企业科技特派员需求摸底调查，共 11 项，几分钟即可完成。每一项都会自动保存，随时可以 /cancel 暂停，发送 /survey 继续。"
SURVEY_RESUMED = "📋 继续填写{year}年度需求调查（已保存的回答不会丢失）。"
SURVEY_RESUBMIT = "📋 您的企业已提交过{year}年度需求调查。重新填写并确认后将更新为最新版本（旧版本会保留）。"
SURVEY_PAUSED = "已暂停需求调查，填写内容已保存。发送 /survey 可从中断处继续。"
SURVEY_REVIEW_HEADER = "**请核对您的需求调查**（点击下方按钮修改某一项，确认无误后提交）："
SURVEY_CONFIRM = "✅ 确认提交"
SURVEY_EDIT = "修改：{label}"
SURVEY_SUBMITTED = "✅ 已提交{year}年度需求调查（第 {version} 版）。感谢配合！我们会据此为您匹配科技特派员。"
SURVEY_SUBMITTED_NO_CONSENT = "✅ 已提交{year}年度需求调查（第 {version} 版）。您未同意提供需求给特派员，因此暂不匹配；如需匹配，可发送 /survey 修改。"
SURVEY_DONE_BUTTON = "完成"
SURVEY_YES = "是"
SURVEY_NO = "否"
SURVEY_AGREE = "同意"
SURVEY_DISAGREE = "不同意"
SURVEY_NEED_DIRECTION = "请至少选择一个需求方向。"
SURVEY_BUTTONS_ONLY = "请点击上面的按钮选择。"
SURVEY_STALE = "这一步已经过去了，请按最新的提示继续。"
SURVEY_LINK_DECLINED = "好的。请重新输入您企业的统一社会信用代码："
SURVEY_REMINDER = "📋 您的{year}年度需求调查还没有填完，发送 /survey 即可从中断处继续（已填内容都已保存）。"
SURVEY_START_BUTTON = "📋 填写需求调查"
CAMPAIGN_OPENED = "已开启{year}年度需求调查。"
CAMPAIGN_CLOSED = "已关闭{year}年度需求调查。"
CAMPAIGN_STATUS = "**需求调查**\n{lines}\n\n用法：/campaign open 年份 · /campaign close 年份"
CAMPAIGN_LINE = "{year} 年：{status}"
CAMPAIGN_NONE = "还没有需求调查。用法：/campaign open 2026"
CAMPAIGN_BAD = "用法：/campaign open 年份 或 /campaign close 年份（如 /campaign open 2026）"
CAMPAIGN_STATES = {"open": "进行中", "closed": "已关闭"}
STATS_HEADER = "**{year}年度需求调查统计**\n已提交企业：{submitted}　填写中：{drafts}　完成率：{rate}"
STATS_SECTION = "\n**{title}**\n{lines}"
STATS_SECTIONS = {"by_district": "按区县", "by_field": "按产业领域", "by_direction": "按需求方向"}
STATS_LINE = "{name}：{count}"
EXPORT_CAPTION = "{year}年度需求调查导出（{count} 家企业）"
EXPORT_EMPTY = "{year}年度还没有提交的需求调查。"

# -- survey field validation messages ----
# Formatted by store/validators.py; each placeholder is filled by exactly one .format() call.
# How offending characters are shown (「x」、「y」等; invisible ones as U+XXXX).
VALID_SHOWN_CHAR = "「{char}」"
VALID_SHOWN_CODEPOINT = "「U+{code:04X}」"
VALID_SHOWN_SEPARATOR = "、"
VALID_SHOWN_MORE = "等"
# 统一社会信用代码
VALID_CREDIT_EMPTY = "请输入 18 位统一社会信用代码（在营业执照上）。"
VALID_CREDIT_LETTER_HINT = "「{char}」多半应为数字 {digit}"
VALID_CREDIT_LETTER_HINT_SEPARATOR = "，"
VALID_CREDIT_LETTER_HINTS = "（{hints}）"
VALID_CREDIT_ILLEGAL = (
    "信用代码中有不能使用的字符：{chars}。信用代码只由数字和大写字母组成，"
    "且不使用字母 I、O、Z、S、V{hint}，请核对后重新输入。"
)
VALID_CREDIT_SEPARATORS_NOTE = "（不计空格和短横线）"
VALID_CREDIT_LENGTH = "信用代码应为 18 位，您输入了 {count} 位{note}，请核对后重新输入。"
VALID_CREDIT_OLD_REGISTRATION_NUMBER = "15 位的是旧版工商注册号，请改填营业执照上的 18 位统一社会信用代码。"
VALID_CREDIT_OLD_ORGANIZATION_CODE = "9 位的是旧版组织机构代码，请改填营业执照上的 18 位统一社会信用代码。"
VALID_CREDIT_AUTHORITY = (
    "信用代码第 1 位是登记管理部门代码，应为数字 1–9 或字母 A、N、Y，"
    "您输入的是「{char}」，请核对后重新输入（企业通常以 91 开头）。"
)
VALID_CREDIT_REGION = "信用代码第 3–8 位是登记机关行政区划码，应为 6 位数字，您输入的是「{region}」，请核对后重新输入。"
VALID_CREDIT_CHECK = (
    "信用代码第18位校验码应为 {expected}（按前 17 位计算），您输入的是 {typed}。"
    "多半是某一位抄错了，不一定是最后一位，请逐位核对整个代码后重新输入。"
)
# 手机号
VALID_PHONE_EMPTY = "请输入 11 位手机号。"
VALID_PHONE_NOT_MAINLAND = "目前只支持中国大陆手机号（+86），请填写 11 位大陆手机号。"
VALID_PHONE_ILLEGAL = (
    "手机号只能包含数字（可带 +86 前缀，可用空格或短横线分隔），"
    "您输入的内容中有 {chars}，请核对后重新输入。"
)
VALID_PHONE_LANDLINE_NOTE = "如果这是固定电话，请改填手机号。"
VALID_PHONE_PREFIX_NOTE = "（不含 +86 国际区号）"
VALID_PHONE_LENGTH = "手机号应为 11 位数字，您输入了 {count} 位{note}，请核对后重新输入。{landline}"
VALID_PHONE_PATTERN = "手机号应以 1 开头、第 2 位为 3–9，「{number}」不是有效的大陆手机号，请核对后重新输入。{landline}"
# 企业名称
VALID_NAME_CONTROL_CHARS = "企业名称中含有不可见的控制字符（{chars}），请删除后重新输入，建议直接手动输入企业全称。"
VALID_NAME_EMPTY = "请输入企业全称（{min_len}–{max_len} 个字，与营业执照一致）。"
VALID_NAME_NO_LETTERS = "企业名称需要包含汉字或字母，请填写营业执照上的企业全称。"
VALID_NAME_TOO_SHORT = "企业名称至少 {min_len} 个字（现在 {count} 个字），请填写营业执照上的企业全称。"
VALID_NAME_TOO_LONG = "企业名称最多 {max_len} 个字（现在 {count} 个字），请核对是否多输入了其他内容。"
# free text; VALID_TEXT_SHORT_HINTS: advice added when an answer is too short, by field label
VALID_TEXT_SHORT_HINTS = {"需求描述": "遇到什么问题、已经尝试过什么"}
VALID_TEXT_SHORT_ADVICE = "请再具体一些：{advice}。"
VALID_TEXT_SHORT_NO_ADVICE = "请补充完整。"
VALID_TEXT_TOO_SHORT = "{field}至少 {min_len} 字（现在 {count} 字），{tail}"
VALID_TEXT_TOO_LONG = "{field}最多 {max_len} 字（现在 {count} 字），请精简。"
# 入库编号; VALID_REGISTRY_SKIP_NOTE ends every registry message
VALID_REGISTRY_SKIP_NOTE = "；如果还没有入库编号，请回复“无”。"
VALID_REGISTRY_ILLEGAL = "入库编号只能包含字母、数字和短横线，您输入的内容中有 {chars}，请核对后重新输入{skip}"
VALID_REGISTRY_LENGTH = "入库编号应为 {min_len}–{max_len} 位（现在 {count} 位，不计空格），请核对后重新输入{skip}"
VALID_REGISTRY_NO_DIGIT = "入库编号应包含数字（形如 202437010500001234），请核对后重新输入{skip}"

# -- specialists ----------------------------------------------------------------------------
IMPORT_BAD_JSON = "不是有效的 JSON（{reason}）"
IMPORT_NOT_OBJECT = "每行应为一个 JSON 对象"
IMPORT_UNSUPPORTED = "不支持的文件类型 {suffix}（支持 .csv .xlsx .jsonl）"
IMPORT_UNREADABLE = "文件无法读取（{reason}）"
IMPORT_MISSING = "缺少必填项“{column}”"
IMPORT_TOO_LONG = "{column} 超过 {limit} 字"
IMPORT_BAD_CAPACITY = "可服务企业数应为 1–50 的整数（现在是 {value!r}）"
IMPORT_BAD_TELEGRAM = "Telegram 用户编号应为数字（现在是 {value!r}）"
IMPORT_DUPLICATE = "编号 {id} 在文件中重复出现"
IMPORT_SUMMARY = "导入完成：新增 {added}，更新 {updated}，有问题的行 {errors}。"
IMPORT_ERROR_LINE = "  第 {line} 行：{reason}"
MATCH_REASON_FIELD = "产业领域一致（{field}）"
MATCH_REASON_ITEM = "专长“{item}”与需求相符"
MATCH_NO_SPECIALISTS = "特派员库为空，请先导入：tepai specialists import FILE"


def match_reason(match) -> str:  # type: ignore[no-untyped-def]
    """Why a specialist is suggested, in one short Chinese sentence."""
    parts = []
    if match.shared_field:
        parts.append(MATCH_REASON_FIELD.format(field=match.shared_field))
    parts.append(MATCH_REASON_ITEM.format(item=match.matched_item))
    return "；".join(parts)

# -- specialist registration ------------------------------------------------------------------
INSTITUTION_TYPES = ["高等院校", "科研院所", "新型研发机构", "企业", "其他"]
CAPACITY_OPTIONS = ["1", "2", "3", "5"]
REG_QUESTIONS = {
    "name": "1/10 请输入您的**姓名**：",
    "institution": "2/10 请输入**工作单位**（如：山东大学机械工程学院）：",
    "institution_type": "3/10 请选择**单位类型**：",
    "title": "4/10 请输入**职称**（如：教授、研究员、高级工程师）：",
    "field": "5/10 请选择您的**产业领域**：",
    "field_other": "请输入产业领域名称：",
    "expertise": "6/10 请介绍您的**研究方向与专长**（用顿号分隔，如：增材制造、拓扑优化设计）：",
    "achievements": "7/10 **代表性成果**（可选，没有请发送“跳过”）：",
    "capacity": "8/10 您最多可以同时服务**几家企业**？",
    "districts": "9/10 **意向服务区县**（可选，用顿号分隔，如：历下区、章丘区；不限请发送“跳过”）：",
    "phone": "10/10 请输入您的**手机号**（只在对接成功后提供给企业）：",
}
REG_LABELS = {"name": "姓名", "institution": "单位", "institution_type": "单位类型", "title": "职称",
              "field": "产业领域", "expertise": "研究方向与专长", "achievements": "代表性成果",
              "capacity": "可服务企业数", "districts": "意向服务区县", "phone": "手机"}
REG_STARTED = "👩‍🔬 欢迎报名科技特派员！共 10 项，每项自动保存，可随时 /cancel 暂停、再次点击报名链接或发送 /register 继续。"
REG_RESUMED = "👩‍🔬 继续填写特派员登记（已填内容已保存）。"
REG_REVIEW_HEADER = "**请核对您的登记信息**（点击按钮修改，确认无误后提交审核）："
REG_CONFIRM = "✅ 提交审核"
REG_SUBMITTED = "✅ 已提交，科技局审核通过后会通知您。"
REG_PAUSED = "已暂停特派员登记，内容已保存。发送 /register 继续。"
REG_ALREADY = "您已登记为科技特派员（状态：{status}）。"
REG_STATUS = {"pending": "待审核", "active": "已通过", "rejected": "未通过"}
REG_BAD_DISTRICT = "没有这个区县：{names}。可选：{choices}。"
REG_TO_STAFF = ("🆕 **新的特派员登记**（#{id}）\n{name}，{institution}（{institution_type}），{title}\n"
                "产业领域：{field}\n专长：{expertise}\n可服务企业数：{capacity}")
# -- 企业自主申报: an enterprise nominates an expert it already works with ----------------------
NOM_QUESTIONS = {
    "name": "1/8 请输入您推荐的**专家姓名**：",
    "institution": "2/8 专家的**工作单位**（如：齐鲁工业大学化学与化工学院）：",
    "institution_type": "3/8 请选择专家的**单位类型**：",
    "title": "4/8 专家的**职称**（如：教授、研究员、高级工程师）：",
    "field": "5/8 请选择专家的**产业领域**：",
    "field_other": "请输入产业领域名称：",
    "expertise": "6/8 专家的**研究方向与专长**（用顿号分隔）：",
    "cooperation": "7/8 贵企业与这位专家的**合作基础**（已有的合作内容、项目或成果）：",
    "phone": "8/8 专家的**手机号**（科技局核实时使用，不对外公开）：",
}
NOM_LABELS = {"name": "专家姓名", "institution": "单位", "institution_type": "单位类型", "title": "职称",
              "field": "产业领域", "expertise": "研究方向与专长", "cooperation": "合作基础", "phone": "专家手机"}
NOM_STARTED = ("🤝 **企业自主申报科技特派员**：推荐一位已与贵企业合作的专家，科技局审核后纳入特派员库。"
               "共 8 项，每项自动保存，可随时 /cancel 暂停、发送 /nominate 继续。")
NOM_RESUMED = "🤝 继续填写专家申报（已填内容已保存）。"
NOM_REVIEW_HEADER = "**请核对申报信息**（点击按钮修改，确认无误后提交科技局审核）："
NOM_CONFIRM = "✅ 提交申报"
NOM_SUBMITTED = "✅ 申报已提交，科技局审核后会通知您。"
NOM_PAUSED = "已暂停专家申报，内容已保存。发送 /nominate 继续。"
NOM_NEEDS_ENTERPRISE = "申报专家需要先确认企业身份：请先通过 /survey 填写需求调查（填写统一社会信用代码），再发送 /nominate。"
NOM_TO_STAFF = ("🆕 **企业自主申报的特派员**（#{id}）\n申报企业：{enterprise}\n{name}，{institution}（{institution_type}），{title}\n"
                "产业领域：{field}\n专长：{expertise}\n合作基础：{note}")
NOM_APPROVED = "🎉 您申报的专家 {name} 已通过科技局审核，纳入科技特派员库。"
NOM_REJECTED = "您申报的专家 {name} 暂未通过科技局审核，如有疑问请联系科技局。"

# -- conflicts of interest staff enter (never proposed to that enterprise) --------------------
CONFLICT_USAGE = ("用法：\n/conflict 统一社会信用代码 特派员编号 — 登记利益冲突（该特派员不再与该企业配对）\n"
                  "/conflict remove 统一社会信用代码 特派员编号 — 取消登记\n/conflict — 查看已登记的冲突\n"
                  "特派员编号：#数字（如 #12）或导入时的外部编号。")
CONFLICT_ADDED = "已登记：{specialist} 与 {enterprise} 存在利益冲突，今后不会配对。"
CONFLICT_WITHDRAWN = "该配对已发出的邀请已撤回。"
CONFLICT_EXISTS = "这对已经登记过（{reason}），无需重复登记。"
CONFLICT_REMOVED = "已取消 {specialist} 与 {enterprise} 的冲突登记。"
CONFLICT_NOT_FOUND = "没有这条冲突登记。"
CONFLICT_UNKNOWN_ENTERPRISE = "没有找到统一社会信用代码为 {code} 的企业（企业需先填写过需求调查）。"
CONFLICT_UNKNOWN_SPECIALIST = "没有找到特派员 {ref}（编号请写 #数字，如 #12，或导入时的外部编号，如 S001）。"
CONFLICT_CLI_WITHDRAWN = "已撤回该配对待答复的邀请（#{id}）：运行中的机器人会通知该特派员、告知工作人员并邀请下一位候选。"
CONFLICT_NONE = "还没有登记任何利益冲突。"
CONFLICT_HEADER = "**已登记的利益冲突（{count}）**"
CONFLICT_LINE = "• {enterprise}（{code}） × {specialist}"
BLOCK_REASONS = {"conflict": "利益冲突", "declined": "特派员已婉拒", "expired": "邀请超时未答复"}

APPROVE_BUTTON = "✅ 通过 #{id}"
REJECT_BUTTON = "✖️ 不通过 #{id}"
APPROVED_STAFF = "已通过 #{id} {name}，已加入特派员库。"
REJECTED_STAFF = "已标记 #{id} {name} 为未通过。"
APPROVED_SPECIALIST = "🎉 您的科技特派员登记已通过审核，已加入特派员库。有匹配的企业需求时会第一时间通知您。"
REJECTED_SPECIALIST = "您的科技特派员登记暂未通过审核，如有疑问请联系科技局。"
PENDING_NONE = "没有待审核的特派员登记。"
PENDING_HEADER = "**待审核的特派员登记（{count}）**"
ALREADY_DECIDED = "这条登记已经处理过了（{status}）。"
ASSIGN_SUMMARY = "{year}年度分配方案：{total} 个需求中匹配 {served} 个，总匹配度 {affinity:.2f}；需人工处理 {manual} 个。"
ASSIGN_LOW_PAIR = "  匹配度较低：{enterprise} ← {specialist}（{affinity:.2f}）"
ASSIGN_MANUAL = "  需人工处理：{enterprise}（{reason}）"
ASSIGN_REASONS = {"no_candidate": "没有匹配度达标的特派员", "capacity": "合适的特派员名额已满"}
SUGGEST_HEADER = "🤝 **根据您的需求，推荐以下科技特派员**（点击按钮即可请求对接，工作人员会尽快联系安排）："
SUGGEST_ITEM = "{n}. **{name}**，{institution}{title}\n   专长：{expertise}\n   推荐理由：{reason}"
SUGGEST_NONE = "暂时没有合适的特派员，科技局会在征集选聘后为您匹配。如果贵企业已有合作的专家，可以发送 /nominate 申报为科技特派员。"
SUGGEST_BUTTON = "请求对接：{name}"
REQUEST_SENT = "已提交对接请求，工作人员会尽快联系安排。"
REQUEST_ALREADY = "您已经请求过这位特派员了。"
REQUEST_TO_STAFF = "🤝 **对接请求**：{enterprise} 希望对接特派员 {specialist}（{year}年度需求调查）。"
STAFF_MATCH_HEADER = "**{enterprise} 的前 {count} 位推荐特派员**"
STAFF_MATCH_USAGE = "用法：/match 统一社会信用代码（查看该企业需求的前 10 位推荐特派员）"
STAFF_MATCH_UNKNOWN = "没有找到该信用代码在当前年度提交的需求。"

# -- assignment, proposals and projects -------------------------------------------------------
ASSIGN_NO_CAMPAIGN = "没有进行中的需求调查年度。"
ASSIGN_PROPOSAL = ("**{year}年度分配方案（待批准）**\n可分配需求 {total} 个，匹配 {served} 个，总匹配度 {affinity:.2f}，"
                   "需人工处理 {manual} 个。")
ASSIGN_LOWEST = "\n**匹配度最低的几对**\n{lines}"
ASSIGN_MANUAL_LIST = "\n**需人工处理**\n{lines}"
ASSIGN_APPROVE_BUTTON = "✅ 批准并通知特派员"
ASSIGN_MISSING = "；{count} 位未绑定 Telegram 或无法送达，需线下联系"
ASSIGN_NOTHING = "没有待批准的分配方案，请先 /assign。"
PROPOSAL_TO_SPECIALIST = ("🤝 **新的对接邀请**（1 名特派员 + 1 家企业 + 1 个合作项目）\n"
                          "企业：{enterprise}（{district}）\n产业领域：{field}\n主导产品：{product}\n"
                          "需求方向：{directions}\n需求描述：{description}\n\n"
                          "接受后双方会收到彼此的联系方式，并建立合作项目。请在 72 小时内答复。")
PROPOSAL_ACCEPT = "接受"
PROPOSAL_DECLINE = "婉拒"
ACCEPTED_SPECIALIST = ("✅ 已接受。企业联系人：{contact}，手机 {phone}（{enterprise}）。\n"
                       "合作项目“{project}”已建立，祝合作顺利！")
ACCEPTED_ENTERPRISE = ("🎉 科技特派员 **{name}**（{institution}{title}）已接受与贵企业对接！\n"
                       "联系方式：手机 {phone}。合作项目“{project}”已建立。")
DECLINED_SPECIALIST = "已婉拒，感谢答复。"
PROPOSAL_ALREADY = "这条邀请已经答复过了（{status}）。"
PROPOSAL_NOT_YOURS = "这条邀请不是发给您的。"
PROPOSAL_STATUS = {"accepted": "已接受", "declined": "已婉拒", "expired": "已超时", "proposed": "待答复",
                   "withdrawn": "已撤回"}
PROPOSAL_WITHDRAWN = "ℹ️ 科技局已撤回与 {enterprise} 的对接邀请，无需答复。"
PROPOSALS_NONE = "目前没有待您答复的对接邀请。"
PROPOSALS_HEADER = "📬 您有 {count} 个待答复的对接邀请："
STAFF_WITHDRAWN = "ℹ️ 已撤回 {specialist} 对 {enterprise} 的邀请（利益冲突）。{next}"
STAFF_DECLINED = "ℹ️ {specialist} 婉拒了 {enterprise}。{next}"
STAFF_EXPIRED = "ℹ️ {specialist} 72 小时内未答复 {enterprise}。{next}"
STAFF_NEXT = "已自动邀请下一位候选：{name}。"
STAFF_NO_NEXT = "没有可用的候选特派员了，请人工处理。"

# -- coverage ----------------------------------------------------------------------------------
COVERAGE_BASIS = {"roster": "入库科技型中小企业名录（{denominator} 家）"}
COVERAGE_NO_ROSTER_TOTALS = ("口径：尚未导入入库科技型中小企业名录，没有分母，无法计算覆盖率，也无法判断目标是否达成"
                             "（导入名录：tepai enterprises import 文件）。\n填报需求调查：{surveyed} 家\n"
                             "已推荐/已对接特派员：{matched} 家\n已建立合作项目（已配备特派员）：{projects} 家")
COVERAGE_NO_ROSTER_DISTRICT_LINE = "{name}：填报 {surveyed} 家，已建立合作项目 {projects} 家"
COVERAGE_TARGET_UNKNOWN = "无法判断（缺少入库企业名录）"
COVERAGE_CHART_COUNTS_TITLE = "各区县填报与已建立合作项目的企业数（未导入名录，无覆盖率）"
COVERAGE_CHART_COUNTS_YLABEL = "企业数（家）"
COVERAGE_CHART_SURVEYED = "填报需求调查"
COVERAGE_CHART_PROJECTS = "已建立合作项目"
COVERAGE_CHART_COUNTS_CAPTION = "各区县填报与已建立合作项目的企业数（尚未导入入库企业名录，无法计算覆盖率）"
COVERAGE_UNKNOWN = "未填写"
COVERAGE_ALL_YEARS = "全部年度"
COVERAGE_YEAR = "{year}年度"
COVERAGE_HEADER = "科技特派员覆盖情况（{scope}）"
COVERAGE_TOTALS = ("口径：{basis}\n填报需求调查：{surveyed} 家\n已推荐/已对接特派员：{matched} 家\n"
                   "已建立合作项目（已配备特派员）：{projects} 家\n覆盖率：{coverage}（{covered}/{denominator}）")
COVERAGE_TARGET = "{year}年目标 {share:.0%}：{status}"
COVERAGE_TARGET_MET = "已达成"
COVERAGE_TARGET_GAP = "还需覆盖 {gap} 家"
COVERAGE_BY_DISTRICT = "按区县"
COVERAGE_DISTRICT_LINE = "{name}：{coverage}（{covered}/{denominator}）"
COVERAGE_NONE = "暂无数据：请先导入入库企业名录（tepai enterprises import 文件）或开展需求调查。"
COVERAGE_BAD_YEAR = "用法：/stats 或 /stats 2026"
COVERAGE_CHART_CAPTION = "各区县覆盖率（虚线为 2027 年 50% 目标）"
COVERAGE_CHART_TITLE = "科技特派员覆盖率（按区县）"
COVERAGE_CHART_YLABEL = "覆盖率（%）"
COVERAGE_CHART_TARGET = "2027 年目标 50%"
ROSTER_MISSING_COLUMN = "缺少“{column}”列（统一社会信用代码 / credit_code、企业名称 / name）"
ROSTER_MISSING_NAME = "企业名称为空"
ROSTER_DISTRICT_TOO_LONG = "所在区县超过 {limit} 字"
ROSTER_DUPLICATE = "信用代码 {code} 与第 {line} 行重复"
ROSTER_SUMMARY = "名录导入完成：新增 {added}，更新 {updated}，未变 {unchanged}，有问题的行 {errors}；名录共 {total} 家。"

# -- broadcasts (staff announcements) -----------------------------------------------------------
BROADCAST_SEGMENTS = {"all": "全部用户", "enterprises": "企业用户", "specialists": "科技特派员",
                      "unsubmitted": "未提交本年度需求调查的企业", "matched": "已匹配特派员的企业",
                      "unmatched": "已提交调查、尚未匹配的企业"}
BROADCAST_SEGMENT_DISTRICT = "{name}的企业"
BROADCAST_SEGMENT_FIELD = "产业领域为“{name}”的企业"
BROADCAST_SEGMENT_BY_DISTRICT = "按区县…"
BROADCAST_SEGMENT_BY_FIELD = "按产业领域…"
BROADCAST_BAD_SEGMENT = ("没有这个发送范围：{segment}。可选：all（全部）、enterprises（企业）、specialists（特派员）、"
                         "district:区县名、field:产业领域、unsubmitted（未提交本年度调查）、matched（已匹配）、unmatched（未匹配）。")
BROADCAST_NEEDS_CAMPAIGN = "这个发送范围按年度需求调查划分，但还没有开启过需求调查。"
BROADCAST_EMPTY = "公告内容不能为空。"
BROADCAST_CONTROL = "公告内容含有无法发送的控制字符，请删除后重试。"
BROADCAST_TOO_LONG = "公告太长：{length} 字，最多 {limit} 字（带附件时，附件说明最多 1024 字）。请精简后重新发送。"
BROADCAST_BAD_HTML = "公告的 HTML 格式有误，Telegram 无法显示：{reason}\n请修改后重新发送正文（可用 <b>粗体</b>、<i>斜体</i>、<a href=\"…\">链接</a>，“<”写作 &lt;）。"
BROADCAST_BAD_TIME = "看不懂这个时间。请按北京时间输入，例如：2026-12-01 09:00、12-01 09:00 或 09:00。"
BROADCAST_PAST_TIME = "这个时间已经过去了，请输入将来的时间。"
BROADCAST_FAR_TIME = "定时发送最多提前一年。"
BROADCAST_ASK_TEXT = ("📣 **发布公告**\n请发送公告正文（支持 Telegram HTML：<b>粗体</b>、<i>斜体</i>、"
                      "<a href=\"…\">链接</a>）。随时可 /cancel 放弃。")
BROADCAST_PREVIEW_HEAD = "👀 以下是接收人将看到的样子："
BROADCAST_ASK_SEGMENT = ("请选择发送范围。\n需要附件的话，现在发送一个文件即可（正文将作为附件说明，最多 1024 字）。")
BROADCAST_ATTACHED = "📎 已添加附件《{name}》。"
BROADCAST_ASK_DISTRICT = "请选择区县："
BROADCAST_ASK_FIELD = "请选择产业领域："
BROADCAST_SUMMARY = ("**确认发送**\n范围：{segment}\n接收人：{count} 人（已排除停用机器人的用户）\n附件：{document}\n"
                     "可以立即发送，或定时发送。")
BROADCAST_NO_RECIPIENTS = "这个范围目前没有可接收的用户，请换一个范围。"
BROADCAST_SEND_NOW = "🚀 立即发送"
BROADCAST_SCHEDULE = "⏰ 定时发送"
BROADCAST_DISCARD = "✖️ 放弃"
BROADCAST_ASK_TIME = "请输入发送时间（北京时间），例如：2026-12-01 09:00、12-01 09:00 或 09:00："
BROADCAST_CONFIRM_TIME = "将于 {at}（北京时间）发送给「{segment}」，目前 {count} 人。确认吗？"
BROADCAST_CONFIRM_SCHEDULE = "✅ 确认定时"
BROADCAST_SCHEDULED = "⏰ 公告 #{id} 已定时，将于 {at}（北京时间）发送。发送 /broadcast_cancel {id} 可取消。"
BROADCAST_DISCARDED = "已放弃这条公告。"
BROADCAST_PAUSED = "已退出公告编辑（草稿已保存）。发送 /broadcast 继续。"
BROADCAST_RESUMED = "继续编辑公告 #{id}。"
BROADCAST_STALE = "这条公告已经不在编辑中了。"
BROADCAST_TEXT_ONLY = "请发送文字作为公告正文，或点击上方按钮。"
BROADCAST_PROGRESS = ("📣 **公告 #{id}**（{segment}）{state}\n已发送 {sent} · 失败 {failed} · 无法送达 {unreachable} · "
                      "剩余 {remaining}（共 {total}）")
BROADCAST_STATES = {"draft": "编辑中", "scheduled": "已定时", "queued": "排队中", "sending": "发送中",
                    "done": "已完成", "cancelled": "已取消"}
BROADCAST_INTERRUPTED = "\n其中 {count} 条在服务中断时正在发送：可能已送达，为避免重复未重发，请人工核实。"
BROADCAST_CANCEL_BUTTON = "⏹ 取消发送"
BROADCAST_CANCELLED = "已取消公告 #{id}，尚未发出的 {count} 条不再发送。"
BROADCAST_ALREADY_OVER = "公告 #{id} 当前状态为“{state}”，无法取消。"
BROADCAST_UNKNOWN = "没有找到公告 #{id}。"
BROADCAST_CANCEL_USAGE = "用法：/broadcast_cancel 公告编号"
BROADCAST_NONE = "还没有发布过公告。"
BROADCAST_FINAL = "📣 公告 #{id} 发送完毕：已发送 {sent}，失败 {failed}，无法送达 {unreachable}，取消 {cancelled}（共 {total}）。"
BROADCAST_FILE_UNREADABLE = "附件无法读取：{reason}"
BROADCAST_CLI_QUEUED = "公告 #{id} 已排队：{count} 位接收人（{segment}）。运行中的机器人（tepai run）会依次发送。"
BROADCAST_CLI_SCHEDULED = "公告 #{id} 已定时：{at}（北京时间），目前 {count} 位接收人（{segment}）。"
BROADCAST_CLI_NEEDS = "发布公告需要 --segment 和 --text-file。"
BAD_LOG_LEVEL = "设置 TEPAI_LOG_LEVEL 无效：{value}（可选 DEBUG、INFO、WARNING、ERROR、CRITICAL）。"
BROADCAST_RESEND_BUTTON = "🔁 重发中断的 {count} 条（可能重复）"
BROADCAST_RESENT = "已将公告 #{id} 中断时正在发送的 {count} 条重新排队（收件人可能收到两次）。"
BROADCAST_RESEND_NONE = "公告 #{id} 没有中断时正在发送的记录。"
BROADCAST_RESEND_USAGE = "用法：/broadcast_resend 公告编号（重发服务中断时正在发送的记录，收件人可能收到两次）"

# -- hygiene: edits, floods, malformed buttons ---------------------------------------------
EDIT_IGNORED = "修改后的消息不会重新处理。如需重新提问或更正回答，请直接发送一条新消息。"
BUTTON_INVALID = "这个按钮无效或已失效，请重新操作。"
BUTTON_FAILED = "抱歉，处理这个按钮时出了点问题，请稍后再试。"

# -- hygiene: Beijing time -------------------------------------------------------------------
BEIJING_TIME = "{time}（北京时间）"
BEIJING_HEADER = "{column}（北京时间）"
EXPORT_FILE_UNANSWERED = "未答复问题"
EXPORT_FILE_SURVEY = "需求摸底-{year}"

# -- hygiene: logs, terminal chat files ----------------------------------------------------------
CLI_SEE_LOG = "详细信息已记录在日志文件：{path}"
CHAT_FILE_SAVED = "  📎 已保存到：{path}"

# -- hygiene: one district and field vocabulary ---------------------------------------------------
VOCAB_BAD_DISTRICT = "“{name}”不是济南市的区县或功能区。请填写其中之一：{choices}。"
VOCAB_BAD_DISTRICTS = "没有这个区县：{names}。可选：{choices}。"
IMPORT_COLUMN_LABELS = {"id": "编号", "name": "姓名", "institution": "单位", "title": "职称", "field": "产业领域",
                        "expertise": "研究方向与专长", "achievements": "代表性成果", "capacity": "可服务企业数",
                        "phone": "手机", "telegram_id": "Telegram 用户编号", "districts": "区县"}

# -- hygiene: truthful campaign states ---------------------------------------------------------
SURVEY_CAMPAIGN_CLOSED = "{year}年度需求摸底调查已结束，感谢关注。下一次调查开始时会通知您。您可以随时直接提问政策问题。"
SURVEY_CLOSED_WHILE_FILLING = ("{year}年度需求摸底调查已经结束，未提交的调查无法再填写；您刚发送的内容没有保存，"
                               "也没有作为问题转给工作人员。下一次调查开始时会通知您。如有政策问题，可以直接提问。")
CAMPAIGN_ALREADY_OPEN = "{open}年度需求调查正在进行，同时只能开启一个调查。请先发送 /campaign close {open}，再开启{year}年度。"
CAMPAIGN_ALREADY_OPEN_CLI = "{open}年度需求调查正在进行，同时只能开启一个调查。请先运行 tepai campaign close {open}，再开启{year}年度。"
CAMPAIGN_ANNOUNCEMENT = ("📋 **{year}年度企业科技特派员需求摸底调查开始了**\n"
                         "请发送 /survey 填写（共 11 项，几分钟即可完成，每一项都会自动保存）。"
                         "市科技局将根据您的需求为企业匹配科技特派员。")
CAMPAIGN_NOTIFY_OFFER = "是否通知企业用户调查已开始？以下是通知的样子，确认后发送给全部企业用户（也可以放弃）："
CAMPAIGN_NOTIFY_BUSY = "您有一条正在编辑的公告。完成或放弃后，可发送 /broadcast 通知企业用户调查已开始。"
CAMPAIGN_NOTIFY_NOBODY = "目前还没有企业用户使用机器人，暂无需通知。"
CAMPAIGN_CLI_NOTIFY_HINT = ("如需通知企业用户：tepai broadcast --segment enterprises --text-file 通知.txt；"
                            "在机器人中用 /campaign open 开启时，会请您确认是否发送通知。")
BROADCAST_HTML_REASONS = {
    "unsupported": "不支持标签 <{tag}>（可用 b、i、u、s、a、code、pre、blockquote）",
    "no_end": "标签 <{tag}> 没有对应的结束标签 </{tag}>",
    "unclosed": "有一个标签没有写完（缺少“>”）",
    "unexpected_end": "有多余的结束标签",
    "entity_end": "有一处格式标记没有结束",
    "other": "格式无法识别",
}
IMPORT_UNREADABLE_REASONS = {"UnicodeDecodeError": "文字编码不是 UTF-8，请另存为 UTF-8 编码的 CSV 或 XLSX",
                             "FileNotFoundError": "文件不存在", "PermissionError": "没有读取权限",
                             "IsADirectoryError": "这是一个文件夹，不是文件", "BadZipFile": "不是有效的 XLSX 文件",
                             "InvalidFileException": "不是有效的 XLSX 文件"}
IMPORT_UNREADABLE_OTHER = "文件格式不正确"

# -- identity: verified enterprise membership, join claims, nominee merges -------------------------
CLAIM_ASK_JOIN = "申请加入该企业"
CLAIM_RETYPE = "重新输入代码"
CLAIM_PENDING_MEMBERS = ("⏳ 已提交加入申请。该企业已验证的联系人会收到确认请求（科技局工作人员也可确认）。"
                         "确认之前，您的填写只保存在您的申请里，不会改动该企业的记录；确认后会通知您。")
CLAIM_PENDING_STAFF = ("⏳ 已提交加入申请。该企业目前没有可联系的已验证人员，将由科技局工作人员核实。"
                       "核实之前，您的填写只保存在您的申请里，不会改动该企业的记录；核实后会通知您。")
CLAIM_STILL_PENDING = "⏳ 您加入企业的申请还在等待确认，确认后会通知您。如果信用代码填错了，可以撤回申请后重新填写。"
CLAIM_WITHDRAW_BUTTON = "撤回申请，重新填写信用代码"
CLAIM_WITHDRAWN = "已撤回加入申请，其他填写内容都保留着。"
CLAIM_NO_NAME = "（未填写）"
MEMBER_NO_NAME = "（未留名）"
CLAIM_SUMMARY = ("申请人：{who}\n申请人填写的企业名称：{name}\n申请人填写的联系人：{contact}\n"
                 "申请人填写的手机：{phone}\n申请时间：{at}")
CLAIM_TO_MEMBER = ("🔐 有人申请以**{enterprise}**的名义填报需求调查：\n{summary}\n\n"
                   "如果这是贵企业的人员，请点“同意”；如果不认识此人，请点“拒绝”。同意后，此人可以查看和修改贵企业的需求调查，"
                   "并可能收到对接特派员的联系方式。")
CLAIM_TO_STAFF = "🔐 企业加入申请：**{enterprise}**（{code}）\n{summary}\n{route}"
CLAIM_ROUTE_MEMBERS = "已请该企业 {count} 位已验证人员确认；工作人员也可直接处理。"
CLAIM_ROUTE_STAFF_ONLY = "该企业没有可联系的已验证人员，需要工作人员核实（例如电话联系企业）后处理。"
CLAIM_APPROVE_BUTTON = "✅ 同意加入"
CLAIM_REFUSE_BUTTON = "✖️ 拒绝"
CLAIM_OVERRULE_BUTTON = "✅ 核实无误，仍然同意加入"
CLAIM_STALE = "这条申请已不存在，请重新打开 /members 查看。"
CLAIM_NOT_YOURS = "只有该企业已验证的人员或科技局工作人员可以处理这条申请。"
CLAIM_ALREADY = "这条申请已经处理过了（{status}）。"
CLAIM_STATES = {"pending": "待确认", "approved": "已同意", "refused": "已拒绝", "withdrawn": "已撤回"}
CLAIM_BY = {"member": "由该企业已验证人员同意", "staff": "由科技局工作人员核实同意"}
CLAIM_APPROVED_DONE = "已同意 {who} 加入{enterprise}。"
CLAIM_REFUSED_DONE = "已拒绝 {who} 加入{enterprise}的申请。"
CLAIM_APPROVED_CLAIMANT = "✅ 您加入**{enterprise}**的申请已确认。发送 /survey 可查看和更新本企业的需求调查。"
CLAIM_APPROVED_APPLIED = ("✅ 您加入**{enterprise}**的申请已确认，您填写的需求调查已作为{year}年度第 {version} 版提交。"
                          "发送 /survey 可查看和修改。")
CLAIM_REFUSED_CLAIMANT = ("您加入企业的申请未获同意，您的填写没有提交。如果您确实代表该企业，请直接留言说明情况并点“转人工”，"
                          "由科技局工作人员核实；也可以发送 /survey 重新填写。")
CLAIM_REFUSED_BY_MEMBER_STAFF = ("ℹ️ {member} 拒绝了 {enterprise}（{code}）的加入申请：\n{summary}\n"
                                 "如果核实后申请人确实代表该企业（例如现有人员是冒用者），可以仍然同意，并在 /members 中移除冒用者。")
MEMBER_JOINED = "ℹ️ {who} 已成为**{enterprise}**的已验证人员（{by}，{at}）。如有疑问，请留言并点“转人工”联系科技局工作人员。"
MEMBER_CHANGED = ("ℹ️ {who} 更新了**{enterprise}**的{year}年度需求调查（第 {version} 版，{at}）。"
                  "如果此人不是贵企业的人员，请留言并点“转人工”联系科技局工作人员。")
MEMBER_REMOVED_PERSON = "ℹ️ 科技局工作人员已将您从**{enterprise}**的已验证人员中移除。如有疑问，请留言并点“转人工”。"
MEMBER_REMOVED_OTHERS = "ℹ️ 科技局工作人员已将 {who} 从**{enterprise}**的已验证人员中移除（{at}）。"
MEMBER_REMOVED_DONE = "已将 {who} 从{enterprise}移除。此人提交过的版本保留，并记录为此人提交。"
MEMBER_REMOVED_RETIRED = "此人提交的当前版本已撤下，不再用于匹配和对接（如有其他人员提交的版本，恢复为其最新版本）。"
MEMBER_REMOVE_STALE = "此人已不是该企业的人员。"
MEMBER_REMOVE_BUTTON = "移除 {name}"
MEMBERS_USAGE = "用法：/members 统一社会信用代码（查看企业的已验证人员、待确认的加入申请和变更记录）；/claims 查看全部待确认申请。"
MEMBERS_UNKNOWN = "没有信用代码为 {code} 的企业记录。"
MEMBERS_HEADER = "**{enterprise}**（{code}）\n**已验证人员**："
MEMBERS_LINE = "• {who}，{via}，{at}"
MEMBERS_NONE = "（没有）"
MEMBERS_VIA = {"founder": "首位填报人（未经他人确认）", "member": "由已验证人员同意", "staff": "由工作人员核实"}
MEMBERS_CLAIMS = "\n**待确认的加入申请**：{count} 条（见下方）"
MEMBERS_HISTORY = "\n**最近的变更记录**：\n{lines}"
MEMBERS_HISTORY_LINE = "• {at} {who}：{action}"
MEMBERS_ACTIONS = {"founded": "首次登记企业", "from_roster": "按入库名单建立记录", "joined": "成为已验证人员",
                   "left": "改为代表其他企业", "claim": "申请加入", "claim_withdrawn": "撤回加入申请",
                   "claim_approved": "同意加入申请", "claim_refused": "拒绝加入申请", "removed": "移除人员",
                   "submitted": "提交需求调查"}
MEMBERS_SYSTEM = "系统"
CLAIMS_NONE = "目前没有待确认的企业加入申请。"
CLAIMS_HEADER = "待确认的企业加入申请共 {count} 条："
REG_CLAIM_PENDING = ("⏳ 已提交。您填写的手机号与一位由合作企业申报的专家一致。为防止他人冒用，需由科技局工作人员核对后再合并到该档案；"
                     "核对之前，原档案保持不变。核对后会通知您。")
REG_CLAIM_TO_STAFF = ("🔐 **登记与企业申报的专家手机号相同**，请核对是否为同一人后再合并（合并后以本人登记为准，绑定其 Telegram）：\n\n"
                      "**本人登记 #{reg_id}**（{who}）\n{registration}\n\n**企业申报的档案 #{nominee_id}**"
                      "（{status}，申报企业：{enterprise}）\n{nominee}")
REG_PROFILE = "姓名：{name}\n单位：{institution}（{institution_type}）\n职称：{title}\n领域：{field}\n专长：{expertise}\n可服务企业数：{capacity}"
REG_MERGE_BUTTON = "✅ 是同一人，合并"
REG_SEPARATE_BUTTON = "不是同一人，单独审核"
REG_MERGED_STAFF = "已将登记 #{reg_id} 合并到档案 #{nominee_id} {name}。"
REG_SEPARATED_STAFF = "登记 #{reg_id} 将作为单独的登记审核（见 /approve），档案 #{nominee_id} 保持不变。"
REG_MERGED_SPECIALIST = "✅ 科技局已核对，您的登记已合并到合作企业申报的档案（状态：{status}）。"
REG_SEPARATED_SPECIALIST = "科技局核对后，您的登记将作为单独的登记审核，审核后会通知您。"
REG_MERGED_NOMINATOR = "ℹ️ 贵企业申报的专家 {name} 已本人登记，科技局核对后已合并档案。"
REG_MERGE_STALE = "这条合并申请已经处理过或不存在了。"

REG_MERGE_FIRST = "这条登记与一位企业申报的专家手机号相同，请先核对是否为同一人（合并或单独审核）。"
# -- outbox: messages owed to other people (invitations, staff notices, forwards, replies) --------
OUTBOX_KINDS = {
    "invitation": "对接邀请", "contact": "对接联系方式", "staff_notice": "工作人员通知", "handoff": "转人工问题",
    "staff_reply": "工作人员答复", "reminder": "调查提醒", "notice": "通知", "report": "发送报告",
}
OUTBOX_UNDELIVERED = "⚠️ {kind}未能送达 {who}：{reason}。"
OUTBOX_REASON_UNREACHABLE = "对方尚未开启或已停用机器人"
OUTBOX_REASON_FAILED = "多次发送失败"
OUTBOX_REASON_INTERRUPTED = "发送时服务中断，可能已送达，为避免重复未重发，请人工核实"
OUTBOX_INVITATION_AGAIN = "\n特派员开启机器人（/start）或发送 /proposals 时会再次收到邀请；72 小时答复期从实际送达时起算。"
OUTBOX_BATCH_DONE = "📬 本次{kind}已发送完毕：共 {total} 份，已送达 {sent}，无法送达 {unreachable}，失败 {failed}。"
OUTBOX_BATCH_INTERRUPTED = "\n另有 {count} 份在服务中断时正在发送：可能已送达，为避免重复未重发，请人工核实。"
ASSIGN_QUEUED = "已批准：{queued} 份对接邀请已排入发送队列{missing}。全部发出后会告诉您送达情况。"
STAFF_REPLY_QUEUED = "答复已排入发送队列，将转达给提问人（#{id}）；如未能送达会告诉您。"
# -- matching rules: blocked pairs, relevance floor, explicit requests, stale proposals ------------
SUGGEST_NONE_RELEVANT = ("暂时没有与贵企业需求足够相关的特派员，我们不勉强推荐。科技局会在征集选聘后为您匹配；"
                         "如果贵企业已有合作的专家，可以发送 /nominate 申报为科技特派员。")
REQUEST_BLOCKED = "这位特派员暂时不能为贵企业服务，工作人员会为您另行安排。"
STAFF_MATCH_ITEM = ("{n}. **{name}**（#{id}），{institution}{title}\n   专长：{expertise}\n"
                    "   相关度 {relevance:.2f}；推荐理由：{reason}{marks}")
STAFF_MATCH_MARKS = {"declined": "已婉拒", "expired": "已婉拒（邀请超时未答复）", "conflict": "已回避（利益冲突）"}
STAFF_MATCH_BELOW_FLOOR = "低于相关度下限，不会推荐给企业"
STAFF_MATCH_REQUESTED = "企业已请求对接"
STAFF_MATCH_FOOTER = "相关度低于 {floor:.2f} 的不会推荐给企业，也不会进入 /assign 方案；已婉拒、已回避的不会再推荐。"
ASSIGN_REQUESTS_MET = "\n企业请求对接的特派员：已按请求安排 {count} 个（标有“企业请求”）。"
ASSIGN_REQUESTS_UNMET = "\n**未能按企业请求安排**\n{lines}"
ASSIGN_UNMET_REASONS = {"blocked": "该配对已婉拒或回避", "capacity": "该特派员名额已满", "inactive": "该特派员已不在库中"}
ASSIGN_REQUESTED_MARK = "（企业请求）"
ASSIGN_UNMET_CLI = "  未能按请求安排：{enterprise} → {specialist}（{reason}）"
ASSIGN_STALE = "这份方案已被更新的方案取代，没有批准。最新方案已发给您，请核对后再批准。"
ASSIGN_CURRENT = "**{year}年度最新分配方案（待批准）**\n匹配 {served} 个，总匹配度 {affinity:.2f}。\n{lines}"
# -- Several processes on one data directory (the CLI beside the running bot) ------------------------
IMPORT_INDEX_FAILED = ("已导入数据库 {count} 位特派员，但匹配索引未能更新，暂时不会被推荐。"
                       "请稍后重新运行同一导入命令（按编号更新，不会重复）。")
DB_BUSY = "数据库正忙（另一个进程正在写入），等待后仍未完成，本次操作未生效。请稍后重试。"
DB_UNAVAILABLE = "无法访问数据库，本次操作未生效。请检查数据库设置（DATABASE_URL）或稍后重试。"
# `tepai eval` (retrieval): staff check the library against their own question sets.
EVAL_BAD_FILE = "问题文件无法使用：{reason}"
EVAL_SUMMARY = "库内问题 {questions} 个：首条命中率 {hit1}，前三条命中率 {hit3}，答复率 {answered}"
EVAL_OOD_SUMMARY = "库外问题 {questions} 个：拒答率 {declined}"
EVAL_MISSES_HEADER = "\n未命中的库内问题（{count} 个）："
EVAL_MISS_QUESTION = "{n}. 问题：{q}"
EVAL_MISS_EXPECTED = "   应引用：{gold}"
EVAL_MISS_CITED = "   实际引用：《{doc}》{text}"
EVAL_MISS_DECLINED = "   实际：未作答（判断为库中没有答案）"
EVAL_NO_MISSES = "库内问题全部命中。"
EVAL_WRONGLY_ANSWERED_HEADER = "\n本应拒答却作答的库外问题（{count} 个）："
REINDEXING_MODEL = "向量模型已更换，正在用新模型重建政策知识库…"

# -- terminal chat for several people: `tepai emulator` + `tepai chat` clients ----------------------
CHAT_PERSON_DEFAULT = "用户{id}"
EMULATOR_READY = (
    "本地模拟 Telegram 已启动（{url}，仅本机可连）。在其他终端用 tepai chat --as 名字 加入对话"
    "（数据目录 {dir}）；按 Ctrl-C 停止。"
)
EMULATOR_STAFF = "工作人员：{name}（用户 {id}）"
EMULATOR_BUSY = "这个数据目录已有一个 tepai emulator 在运行：请直接用 tepai chat 连接它。"
EMULATOR_STOPPED = "本地模拟 Telegram 已停止。"
EMULATOR_BAD_PORT = "端口应为 1024–65535 之间的数字（或 0，表示自动选择）。"
EMULATOR_PORT_BUSY = "无法在 127.0.0.1:{port} 启动：端口已被占用或不可用。请换一个端口，或不带 --port 自动选择。"
CHAT_CLIENT_HELP = (
    "已作为 {name}（用户 {user}）连接到本地模拟 Telegram。直接输入消息；输入数字选择按钮；"
    "“@消息号 文本”回复某条消息；“/file 路径”发送文件；/quit 退出。别人发给您的消息会随时显示。"
)
CHAT_CLIENT_REFUSED = {
    "unauthorized": "本地模拟器拒绝连接：密钥不符。只有同一数据目录（TEPAI_DATA_DIR）下的 tepai chat 才能连接。",
    "staff_not_grantable": "工作人员权限不能在对话里自行获取：请在服务器一侧用 tepai staff add 用户编号 授权，"
                           "或用 tepai emulator --staff 名字 启动模拟器，然后用 tepai chat --as 名字 连接。",
    "name_taken": "这个名字已属于另一个用户编号，请换一个名字，或不带 --user-id 连接。",
    "bad_name": "名字不能为空，最多 64 个字，不能含控制字符。",
    "bad_user_id": "用户编号应为正整数。",
    "bad_role": "身份只能是 enterprise 或 specialist。",
    "no_such_message": "没有这条消息，请核对“@消息号”中的编号。",
    "no_such_button": "这个按钮已经失效，请使用最新消息下的选项。",
    "too_long": "消息过长：一条消息最多 4096 个字。",
    "too_large": "文件过大：最多 20 MB。",
    "empty": "不能发送空消息。",
}
CHAT_CLIENT_FAILED = "本地模拟器没有接受这个操作，请重试；若反复出现，请查看日志 data/logs/tepai.log。"
CHAT_OTHERS_MAY_JOIN = "其他人可以在另一个终端用 tepai chat --as 名字 加入（例如工作人员答复转人工的问题）。"
CHAT_EMULATOR_GONE = "本地模拟 Telegram 已停止，对话结束。重新运行 tepai emulator 后可再次连接。"
CHAT_EMPTY_LINE = "（没有发送：消息为空。输入文字，或输入 /quit 退出。）"
CHAT_LINE_TOO_LONG = "没有发送：一条消息最多 {limit} 个字，请分几条发送。"
CHAT_FILE_TOO_LARGE = "没有发送 {path}：文件超过 {limit} MB。"
CHAT_STAFF_ROLE_LOCAL = "提示：要让多人同时对话（工作人员在另一个终端答复），先运行 tepai emulator，再在各终端运行 tepai chat --as 名字。"
# -- Web chat (bot/web/): the page a bureau puts on its own site ------------------------------------
WEB_TITLE = "科技特派员政策咨询"
WEB_VISITOR = "网页访客"  # a web visitor's name as staff see it
WEB_CHANNEL = "网页对话"  # where they wrote from, in place of a Telegram id
WEB_ERRORS = {
    "csrf": "页面已过期或请求来源不正确，请刷新页面后再试。",
    "session": "会话已失效，请刷新页面后再试。",
    "rate": "您发送得太快了，请稍等 {seconds} 秒再试。",
    "too_large": "提交的内容太长了，请精简后再试。",
    "bad_request": "无法识别的请求，请刷新页面后再试。",
    "not_found": "没有找到这个页面。",
    "method": "不支持这种请求方式。",
    "internal": "抱歉，处理时出现内部错误，已记录，请稍后再试。",
    "empty": "请输入内容后再发送。",
    "too_long": "内容太长了（上限 {limit} 字），请精简后再发送。",
    "busy": "系统正忙，请稍后再试。",
}
WEB_NOTHING_TO_CANCEL = "当前没有进行中的操作。"
WEB_HANDOFF_OFFER = "如需人工答复，请点击“转人工”，市科技局工作人员会在这里答复您。"
WEB_HANDOFF_WAITING = "已转给科技局工作人员。答复会显示在本页面；关闭页面后再打开（同一浏览器）也能看到。"
WEB_STAFF_REPLY = "科技局工作人员答复"
WEB_REQUEST_BUTTON = "请求对接"
WEB_REQUEST_OUTCOMES = {
    "sent": "已提交对接请求，工作人员会尽快联系安排。",
    "already": "您已经请求过这位特派员了。",
    "blocked": "这位特派员暂时不能为贵企业服务，工作人员会为您另行安排。",
    "stale": "这个按钮已失效，请重新操作。",
}
WEB_SCREENSHOT_SAVED = "已保存截图：{path}"
WEB_NO_BROWSER = "未找到 Chromium 或 chromedriver（Debian：apt-get install chromium chromium-driver）。"
WEB_STARTING = "tepai 网页对话：http://{host}:{port}/ （Ctrl+C 停止）"
WEB_SECRET_SHORT = "TEPAI_WEB_SECRET 至少 {min} 个字符（现在 {n} 个），可用 python -c \"import secrets; print(secrets.token_urlsafe(32))\" 生成"
WEB_BAD_SETTING = "{name} 无效：{reason}"
# The page's own words (index.html is filled from these; chat.js gets WEB_LABELS from /api/session).
WEB_PAGE = {
    "title": WEB_TITLE,
    "heading": "科技特派员政策咨询",
    "subheading": "济南市企业科技特派员专项行动 · 无需注册",
    "intro": ("您好！我是科技特派员专项行动政策助手。请直接输入政策问题，例如："
              "“到2027年特派员覆盖率目标是多少？”。回答会引用政策原文并注明出处。"),
    "input_label": "输入您的问题",
    "placeholder": "请输入政策问题…（回车发送）",
    "send": "发送",
    "survey": "📋 填写需求调查",
    "log_label": "对话记录",
    "footer": "时间均为北京时间。回答仅依据已收录的政策文件，以正式发布的文件为准。",
    "noscript": "本页面需要启用 JavaScript。",
    "network": "网络连接异常，请检查网络后重试。",
}
WEB_LABELS = {
    "you": "您",
    "bot": "政策助手",
    "staff": WEB_STAFF_REPLY,
    "helpful": BUTTON_HELPFUL,
    "unhelpful": BUTTON_UNHELPFUL,
    "handoff": BUTTON_HANDOFF,
    "request": WEB_REQUEST_BUTTON,
    "sending": "正在查询…",
    "network": WEB_PAGE["network"],
    "feedback_thanks": FEEDBACK_THANKS,
    "feedback_sorry": FEEDBACK_SORRY,
    "feedback_already": FEEDBACK_ALREADY,
    "sources": "出处",
    "survey_hint": "可以直接点按钮，也可以在输入框里输入回答。",
}

# -- one dialogue at a time (services/dialogues.py): starting one pauses another -----------------------
DIALOGUE_NAMES = {"survey": "需求调查", "registration": "特派员登记", "nomination": "专家申报", "broadcast": "公告编辑"}
DIALOGUE_OTHER_PAUSED = "（{names}已暂停，填写内容已保存，之后可从中断处继续。）"
