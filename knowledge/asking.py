"""What a question asks, apart from the story told before it.

Owners often tell their case first and ask at the end ("我们去年营收3200万，科技人员占比没问题，
…想问下研发费占销售收入的比例最低得到多少？"). The story's words (营收, 科技人员, 软著) are
rarely in the clause that answers; the ask's words are. `ask_segment` returns the last part of
the question that carries a question cue, with the part before it when that part is short
("多久？" alone says little). A question of one part is its own ask.
"""

from __future__ import annotations

import re

# Words and marks that make a part of a sentence a question.
_CUE = re.compile(
    r"吗|呢|么|嘛|多少|几|怎么|怎样|如何|什么|啥|哪|是否|能否|可否|有没有|是不是|算不算|行不行|要不要|能不能|可不可以|"
    r"多久|多长|多大|[?？]|[不没](?:[?？]|$)|\b(?:what|how|when|which|who|whether|can|is|are|does|do)\b",
    re.IGNORECASE)
# A part of a sentence with the marks that close it.
_PART = re.compile(r"[^，,。；;！!？?\n]+[，,。；;！!？?\n]*")
# An ask shorter than this (characters) takes the part before it too.
MIN_ASK = 12


def ask_segment(question: str, min_chars: int = MIN_ASK) -> str:
    """The part of `question` that asks (see module docstring); `min_chars=0`: that part alone,
    for what kind of answer is wanted (…几个骨干…，国家鼓励吗？ wants no number)."""
    spans = [m for m in _PART.finditer(question) if m.group(0).strip(" ，,。；;！!\n")]
    if len(spans) <= 1:
        return question.strip()
    # The last part with a cue (each part is read with the mark that closes it: its ？ is a cue);
    # with none, the last part.
    end = next((n for n in range(len(spans) - 1, -1, -1) if _CUE.search(spans[n].group(0).strip())), len(spans) - 1)
    start = end
    while start > 0 and spans[end].end() - spans[start].start() < min_chars:
        start -= 1
    return question[spans[start].start():spans[end].end()].strip()
