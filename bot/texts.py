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

HELP = {
    "enterprise": (
        "<b>可以这样用我</b>\n"
        "• 直接发送政策问题，我会引用原文条款作答\n"
        "• 答案下方可评价“有帮助/没帮助”，或点“转人工”由工作人员答复\n"
        "• /survey 填写年度需求调查（随时可 /cancel 暂停，已填内容自动保存）\n"
        "• /nominate 申报一位已与贵企业合作的专家为科技特派员（科技局审核）\n"
        "• /cancel 退出当前操作\n"
        "目前只支持文字消息。"
    ),
    "specialist": (
        "<b>可以这样用我</b>\n"
        "• 直接发送政策问题，我会引用原文条款作答\n"
        "• /register 特派员登记；/proposals 查看待答复的对接邀请\n"
        "• /cancel 退出当前操作"
    ),
    "staff": (
        "<b>工作人员命令</b>\n"
        "• 发送政策文件（PDF、DOCX、TXT、MD、HTML）即可更新知识库\n"
        "• /docs 查看政策文件及状态，可停用或恢复\n"
        "• /unanswered 查看待答复的问题；直接<b>回复</b>转来的问题消息即可答复提问人\n"
        "• /campaign open 2026 开启年度需求调查，/campaign close 2026 关闭\n"
        "• /survey_stats 需求调查统计；/export [年份] [csv] 导出需求调查\n"
        "• /approve 审核特派员登记；/match 信用代码 查看某企业的前 10 位推荐特派员\n"
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
              ("export", "导出需求调查"), ("approve", "审核特派员登记"), ("match", "查看推荐特派员"), ("assign", "分配特派员"), ("conflict", "登记利益冲突"), ("broadcast", "发布公告"),
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
    "name": "1/11 请输入<b>企业名称</b>（2–60 字）：",
    "credit_code": "2/11 请输入<b>统一社会信用代码</b>（18 位，见营业执照）：",
    "credit_confirm": "信用代码 {code} 已登记为「{name}」。确认您代表该企业填写吗？",
    "district": "3/11 请选择企业<b>所在区县（功能区）</b>：",
    "district_other": "请输入所在区县（功能区）名称：",
    "registered": "4/11 企业是否已<b>入库科技型中小企业</b>？",
    "registry_no": "请输入<b>入库编号</b>（可选，没有请发送“跳过”）：",
    "field": "5/11 请选择企业的<b>产业领域</b>：",
    "field_other": "请输入产业领域名称：",
    "product": "6/11 请输入企业的<b>主导产品</b>（2–200 字）：",
    "directions": "7/11 请选择<b>需求方向</b>（可多选，选好后点“完成”）：\n已选：{chosen}",
    "directions_other": "请输入其他需求方向：",
    "description": "8/11 请描述<b>具体需求</b>：遇到了什么问题、已经尝试过什么（20–1000 字）。",
    "expected": "9/11 对<b>期望的科技特派员</b>有什么要求？如单位类型、学科方向（可选，没有请发送“跳过”）：",
    "contact": "10/11 请输入<b>联系人</b>姓名：",
    "phone": "10/11 请输入联系人<b>手机号</b>（11 位）：",
    "consent": ("11/11 是否<b>同意</b>将本需求提供给匹配的科技特派员？\n"
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
SURVEY_REVIEW_HEADER = "<b>请核对您的需求调查</b>（点击下方按钮修改某一项，确认无误后提交）："
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
CAMPAIGN_STATUS = "<b>需求调查</b>\n{lines}\n\n用法：/campaign open 年份 · /campaign close 年份"
CAMPAIGN_LINE = "{year} 年：{status}"
CAMPAIGN_NONE = "还没有需求调查。用法：/campaign open 2026"
CAMPAIGN_BAD = "用法：/campaign open 年份 或 /campaign close 年份（如 /campaign open 2026）"
CAMPAIGN_STATES = {"open": "进行中", "closed": "已关闭"}
STATS_HEADER = "<b>{year}年度需求调查统计</b>\n已提交企业：{submitted}　填写中：{drafts}　完成率：{rate}"
STATS_SECTION = "\n<b>{title}</b>\n{lines}"
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
IMPORT_MISSING = "缺少必填列 {column}"
IMPORT_TOO_LONG = "{column} 超过 {limit} 字"
IMPORT_BAD_CAPACITY = "可服务企业数应为 1–50 的整数（现在是 {value!r}）"
IMPORT_BAD_TELEGRAM = "telegram_id 应为数字（现在是 {value!r}）"
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
    "name": "1/10 请输入您的<b>姓名</b>：",
    "institution": "2/10 请输入<b>工作单位</b>（如：山东大学机械工程学院）：",
    "institution_type": "3/10 请选择<b>单位类型</b>：",
    "title": "4/10 请输入<b>职称</b>（如：教授、研究员、高级工程师）：",
    "field": "5/10 请选择您的<b>产业领域</b>：",
    "field_other": "请输入产业领域名称：",
    "expertise": "6/10 请介绍您的<b>研究方向与专长</b>（用顿号分隔，如：增材制造、拓扑优化设计）：",
    "achievements": "7/10 <b>代表性成果</b>（可选，没有请发送“跳过”）：",
    "capacity": "8/10 您最多可以同时服务<b>几家企业</b>？",
    "districts": "9/10 <b>意向服务区县</b>（可选，用顿号分隔，如：历下区、章丘区；不限请发送“跳过”）：",
    "phone": "10/10 请输入您的<b>手机号</b>（只在对接成功后提供给企业）：",
}
REG_LABELS = {"name": "姓名", "institution": "单位", "institution_type": "单位类型", "title": "职称",
              "field": "产业领域", "expertise": "研究方向与专长", "achievements": "代表性成果",
              "capacity": "可服务企业数", "districts": "意向服务区县", "phone": "手机"}
REG_STARTED = "👩‍🔬 欢迎报名科技特派员！共 10 项，每项自动保存，可随时 /cancel 暂停、再次点击报名链接或发送 /register 继续。"
REG_RESUMED = "👩‍🔬 继续填写特派员登记（已填内容已保存）。"
REG_REVIEW_HEADER = "<b>请核对您的登记信息</b>（点击按钮修改，确认无误后提交审核）："
REG_CONFIRM = "✅ 提交审核"
REG_SUBMITTED = "✅ 已提交，科技局审核通过后会通知您。"
REG_PAUSED = "已暂停特派员登记，内容已保存。发送 /register 继续。"
REG_LINKED = "✅ 已提交。您此前已由合作企业申报为科技特派员，登记信息已合并到该档案（状态：{status}）。"
REG_LINKED_STAFF = "ℹ️ 企业申报的专家 #{id} {name} 已本人登记并绑定 Telegram，档案已按本人填写更新。"
REG_ALREADY = "您已登记为科技特派员（状态：{status}）。"
REG_STATUS = {"pending": "待审核", "active": "已通过", "rejected": "未通过"}
REG_BAD_DISTRICT = "没有这个区县：{names}。可选：{choices}。"
REG_TO_STAFF = ("🆕 <b>新的特派员登记</b>（#{id}）\n{name}，{institution}（{institution_type}），{title}\n"
                "产业领域：{field}\n专长：{expertise}\n可服务企业数：{capacity}")
# -- 企业自主申报: an enterprise nominates an expert it already works with ----------------------
NOM_QUESTIONS = {
    "name": "1/8 请输入您推荐的<b>专家姓名</b>：",
    "institution": "2/8 专家的<b>工作单位</b>（如：齐鲁工业大学化学与化工学院）：",
    "institution_type": "3/8 请选择专家的<b>单位类型</b>：",
    "title": "4/8 专家的<b>职称</b>（如：教授、研究员、高级工程师）：",
    "field": "5/8 请选择专家的<b>产业领域</b>：",
    "field_other": "请输入产业领域名称：",
    "expertise": "6/8 专家的<b>研究方向与专长</b>（用顿号分隔）：",
    "cooperation": "7/8 贵企业与这位专家的<b>合作基础</b>（已有的合作内容、项目或成果）：",
    "phone": "8/8 专家的<b>手机号</b>（科技局核实时使用，不对外公开）：",
}
NOM_LABELS = {"name": "专家姓名", "institution": "单位", "institution_type": "单位类型", "title": "职称",
              "field": "产业领域", "expertise": "研究方向与专长", "cooperation": "合作基础", "phone": "专家手机"}
NOM_STARTED = ("🤝 <b>企业自主申报科技特派员</b>：推荐一位已与贵企业合作的专家，科技局审核后纳入特派员库。"
               "共 8 项，每项自动保存，可随时 /cancel 暂停、发送 /nominate 继续。")
NOM_RESUMED = "🤝 继续填写专家申报（已填内容已保存）。"
NOM_REVIEW_HEADER = "<b>请核对申报信息</b>（点击按钮修改，确认无误后提交科技局审核）："
NOM_CONFIRM = "✅ 提交申报"
NOM_SUBMITTED = "✅ 申报已提交，科技局审核后会通知您。"
NOM_PAUSED = "已暂停专家申报，内容已保存。发送 /nominate 继续。"
NOM_NEEDS_ENTERPRISE = "申报专家需要先确认企业身份：请先通过 /survey 填写需求调查（填写统一社会信用代码），再发送 /nominate。"
NOM_TO_STAFF = ("🆕 <b>企业自主申报的特派员</b>（#{id}）\n申报企业：{enterprise}\n{name}，{institution}（{institution_type}），{title}\n"
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
CONFLICT_UNKNOWN_SPECIALIST = "没有找到特派员 {ref}。"
CONFLICT_CLI_WAITING = "注意：该配对有一个待答复的邀请（#{id}），命令行不会撤回；请在聊天中发送 /conflict 同一命令撤回并邀请下一位候选。"
CONFLICT_NONE = "还没有登记任何利益冲突。"
CONFLICT_HEADER = "<b>已登记的利益冲突（{count}）</b>"
BLOCK_REASONS = {"conflict": "利益冲突", "declined": "特派员已婉拒", "expired": "邀请超时未答复"}

APPROVE_BUTTON = "✅ 通过 #{id}"
REJECT_BUTTON = "✖️ 不通过 #{id}"
APPROVED_STAFF = "已通过 #{id} {name}，已加入特派员库。"
REJECTED_STAFF = "已标记 #{id} {name} 为未通过。"
APPROVED_SPECIALIST = "🎉 您的科技特派员登记已通过审核，已加入特派员库。有匹配的企业需求时会第一时间通知您。"
REJECTED_SPECIALIST = "您的科技特派员登记暂未通过审核，如有疑问请联系科技局。"
PENDING_NONE = "没有待审核的特派员登记。"
PENDING_HEADER = "<b>待审核的特派员登记（{count}）</b>"
ALREADY_DECIDED = "这条登记已经处理过了（{status}）。"
ASSIGN_SUMMARY = "{year}年度分配方案：{total} 个需求中匹配 {served} 个，总匹配度 {affinity:.2f}；需人工处理 {manual} 个。"
ASSIGN_LOW_PAIR = "  匹配度较低：{enterprise} ← {specialist}（{affinity:.2f}）"
ASSIGN_MANUAL = "  需人工处理：{enterprise}（{reason}）"
ASSIGN_REASONS = {"no_candidate": "没有匹配度达标的特派员", "capacity": "合适的特派员名额已满"}
SUGGEST_HEADER = "🤝 <b>根据您的需求，推荐以下科技特派员</b>（点击按钮即可请求对接，工作人员会尽快联系安排）："
SUGGEST_ITEM = "{n}. <b>{name}</b>，{institution}{title}\n   专长：{expertise}\n   推荐理由：{reason}"
SUGGEST_NONE = "暂时没有合适的特派员，科技局会在征集选聘后为您匹配。如果贵企业已有合作的专家，可以发送 /nominate 申报为科技特派员。"
SUGGEST_BUTTON = "请求对接：{name}"
REQUEST_SENT = "已提交对接请求，工作人员会尽快联系安排。"
REQUEST_ALREADY = "您已经请求过这位特派员了。"
REQUEST_TO_STAFF = "🤝 <b>对接请求</b>：{enterprise} 希望对接特派员 {specialist}（{year}年度需求调查）。"
STAFF_MATCH_HEADER = "<b>{enterprise} 的前 {count} 位推荐特派员</b>"
STAFF_MATCH_USAGE = "用法：/match 统一社会信用代码（查看该企业需求的前 10 位推荐特派员）"
STAFF_MATCH_UNKNOWN = "没有找到该信用代码在当前年度提交的需求。"

# -- assignment, proposals and projects -------------------------------------------------------
ASSIGN_NO_CAMPAIGN = "没有进行中的需求调查年度。"
ASSIGN_PROPOSAL = ("<b>{year}年度分配方案（待批准）</b>\n可分配需求 {total} 个，匹配 {served} 个，总匹配度 {affinity:.2f}，"
                   "需人工处理 {manual} 个。")
ASSIGN_LOWEST = "\n<b>匹配度最低的几对</b>\n{lines}"
ASSIGN_MANUAL_LIST = "\n<b>需人工处理</b>\n{lines}"
ASSIGN_APPROVE_BUTTON = "✅ 批准并通知特派员"
ASSIGN_APPROVED = "已批准：通知了 {sent} 位特派员{missing}。"
ASSIGN_MISSING = "；{count} 位未绑定 Telegram 或无法送达，需线下联系"
ASSIGN_NOTHING = "没有待批准的分配方案，请先 /assign。"
PROPOSAL_TO_SPECIALIST = ("🤝 <b>新的对接邀请</b>（1 名特派员 + 1 家企业 + 1 个合作项目）\n"
                          "企业：{enterprise}（{district}）\n产业领域：{field}\n主导产品：{product}\n"
                          "需求方向：{directions}\n需求描述：{description}\n\n"
                          "接受后双方会收到彼此的联系方式，并建立合作项目。请在 72 小时内答复。")
PROPOSAL_ACCEPT = "接受"
PROPOSAL_DECLINE = "婉拒"
ACCEPTED_SPECIALIST = ("✅ 已接受。企业联系人：{contact}，手机 {phone}（{enterprise}）。\n"
                       "合作项目“{project}”已建立，祝合作顺利！")
ACCEPTED_ENTERPRISE = ("🎉 科技特派员 <b>{name}</b>（{institution}{title}）已接受与贵企业对接！\n"
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
COVERAGE_BASIS = {"roster": "入库科技型中小企业名录（{denominator} 家）",
                  "surveyed": "尚未导入入库企业名录，暂以填报需求调查的企业（{denominator} 家）为基数"}
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
BROADCAST_ASK_TEXT = ("📣 <b>发布公告</b>\n请发送公告正文（支持 Telegram HTML：&lt;b&gt;粗体&lt;/b&gt;、&lt;i&gt;斜体&lt;/i&gt;、"
                      "&lt;a href=\"…\"&gt;链接&lt;/a&gt;）。随时可 /cancel 放弃。")
BROADCAST_PREVIEW_HEAD = "👀 以下是接收人将看到的样子："
BROADCAST_ASK_SEGMENT = ("请选择发送范围。\n需要附件的话，现在发送一个文件即可（正文将作为附件说明，最多 1024 字）。")
BROADCAST_ATTACHED = "📎 已添加附件《{name}》。"
BROADCAST_ASK_DISTRICT = "请选择区县："
BROADCAST_ASK_FIELD = "请选择产业领域："
BROADCAST_SUMMARY = ("<b>确认发送</b>\n范围：{segment}\n接收人：{count} 人（已排除停用机器人的用户）\n附件：{document}\n"
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
BROADCAST_PROGRESS = ("📣 <b>公告 #{id}</b>（{segment}）{state}\n已发送 {sent} · 失败 {failed} · 无法送达 {unreachable} · "
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
