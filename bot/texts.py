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
NO_INDEX = "政策知识库尚未建立，请先运行 tepai index。"
INDEX_BUSY = "另一个进程正在更新知识库，请稍后再试。"
INTERNAL_ERROR = "抱歉，处理时出现内部错误，已记录，请稍后再试。"
PROMPT_WELCOME = "tepai 政策问答（输入问题后回车；输入 /quit 或按 Ctrl-D 退出）"
PROMPT = "问> "
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
