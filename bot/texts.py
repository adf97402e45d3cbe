"""Every user-facing text of tepai, in Simplified Chinese, in one place.

Renderers here turn neutral content (`knowledge.answers.Answer`) into plain text;
channels add their own markup on top.
"""

from __future__ import annotations

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


def source_line(citation: Citation) -> str:
    meta = [m for m in (citation.issuer, citation.date) if m]
    draft = "（征求意见稿）" if citation.draft and "征求意见稿" not in citation.doc else ""
    tail = f"（{'，'.join(meta)}）" if meta else ""
    return f"《{citation.doc}》{draft}{tail} {citation.section}"


def draft_notes(answer: Answer) -> list[str]:
    titles = sorted({c.doc for c in answer.citations if c.draft})
    return [DRAFT_NOTE.format(title=t) for t in titles]


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
    notes = draft_notes(answer)
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
SPECIALIST_ENTRY = "欢迎加入科技特派员专项行动！特派员在线登记即将开放，届时会在这里通知您。现在您可以直接向我提问政策问题。"

HELP = {
    "enterprise": (
        "<b>可以这样用我</b>\n"
        "• 直接发送政策问题，我会引用原文条款作答\n"
        "• 答案下方可评价“有帮助/没帮助”，或点“转人工”由工作人员答复\n"
        "• /cancel 退出当前操作\n"
        "目前只支持文字消息。"
    ),
    "specialist": (
        "<b>可以这样用我</b>\n"
        "• 直接发送政策问题，我会引用原文条款作答\n"
        "• /cancel 退出当前操作"
    ),
    "staff": (
        "<b>工作人员命令</b>\n"
        "• 发送政策文件（PDF、DOCX、TXT、MD、HTML）即可更新知识库\n"
        "• /docs 查看政策文件及状态，可停用或恢复\n"
        "• /unanswered 查看待答复的问题；直接<b>回复</b>转来的问题消息即可答复提问人\n"
        "• 也可以直接提问，检验答案效果"
    ),
}
COMMANDS = {
    "enterprise": [("start", "开始"), ("help", "使用说明"), ("cancel", "退出当前操作")],
    "specialist": [("start", "开始"), ("help", "使用说明"), ("cancel", "退出当前操作")],
    "staff": [("start", "开始"), ("help", "工作人员命令"), ("docs", "政策文件管理"),
              ("unanswered", "待答复问题"), ("cancel", "退出当前操作")],
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
    "🙋 <b>待答复 #{id}</b>（{reason}）\n"
    "提问人：{name}（ID {telegram_id}）\n"
    "问题：{question}\n"
    "最佳匹配分：{score:.2f}\n\n"
    "直接<b>回复本消息</b>即可答复提问人。"
)
HANDOFF_REASONS = {"unanswered": "文件未覆盖", "requested": "用户请求转人工"}
STAFF_REPLY_TO_USER = "💬 <b>科技局工作人员答复</b>（关于：{question}）\n\n{reply}"
STAFF_REPLY_SENT = "已将答复发送给提问人（#{id}）。"
STAFF_REPLY_UNREACHABLE = "提问人已停用机器人，答复未能送达（#{id}）。"
UNANSWERED_EMPTY = "目前没有待答复的问题。"
UNANSWERED_HEADER = "<b>待答复问题（{count}）</b>"
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
DOC_UNSUPPORTED = "❌ 不支持的文件类型。支持 PDF、DOCX、TXT、MD、HTML。"
DOC_TOO_BIG = "❌ 文件过大（上限 20 MB）。"
DOC_BUSY = "知识库正在更新，请稍后再发送。"
DOCS_EMPTY = "知识库里还没有文件。"
DOCS_HEADER = "<b>政策文件（{count}）</b>"
DOCS_ITEM = "{n}. 《{title}》 — {status}{issuer}"
DOC_STATUS = {"current": "现行", "draft": "征求意见稿", "retired": "已停用"}
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
STAFF_NONE = "尚未设置工作人员。用 tepai staff add <Telegram ID> 添加，或设置 TEPAI_STAFF_IDS。"
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
