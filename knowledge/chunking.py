"""Split a document into citable chunks along the structure of Chinese policy text.

A chunk never spans two sections; a long section splits at sentence ends (。！？；),
so every chunk is a run of whole sentences quoted verbatim. Each chunk keeps its
heading path, e.g. `二、重点任务 › （二）着力在成果转移转化上强化服务，加快提升企业创新质效`.

A list keeps its lead: when a section ends with a sentence that introduces items
(第三十条 企业的下列支出，可以……加计扣除：), each item beneath it is chunked with that
sentence in front, so "（一）开发新技术……费用" is found, and quoted, as what it is a case of.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from knowledge.documents import Document
from knowledge.structure import is_table_row, parse_heading, styled_heading

PATH_SEPARATOR = " › "
PREAMBLE = "序言"
MAX_CHARS = 200
# A single sentence longer than this is cut at commas; shorter ones stay whole.
MAX_SENTENCE = 400

_SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
# A sentence that introduces a list ends with a colon.
_LEAD_END = re.compile(r"[：:]\s*$")
# A lead longer than this is not repeated in front of every item.
MAX_LEAD = 120
_CLAUSE_END = re.compile(r"(?<=[，、,])")
# A sentence longer than this is also searched by its phrases (see Chunk.units).
PHRASE_FROM = 80
PHRASE_CHARS = 50


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_key: str
    ordinal: int
    section: str  # heading path joined with PATH_SEPARATOR
    text: str  # verbatim clause text

    @property
    def heading(self) -> str:
        """The innermost heading, used to give the clause its context when indexed."""
        return self.section.rsplit(PATH_SEPARATOR, 1)[-1]

    @property
    def sentences(self) -> list[str]:
        return split_sentences(self.text)

    @property
    def units(self) -> list[str]:
        """The texts this chunk is searched by, one vector each: its sentences, and the phrases
        of a long one (a short question's meaning is diluted in a 200-character sentence)."""
        return search_units(self.sentences)

    def unit_ids(self) -> list[str]:
        """Ids of the vectors this chunk is searched by (one per unit)."""
        return [f"{self.id}:{n}" for n in range(len(self.units))]

    @property
    def index_text(self) -> str:
        heading = "" if self.section == PREAMBLE else self.heading
        return f"{heading}\n{self.text}" if heading else self.text


def split_sentences(text: str) -> list[str]:
    """Sentences with their closing punctuation; over-long ones cut at commas."""
    out: list[str] = []
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        if not sentence:
            continue
        if len(sentence) <= MAX_SENTENCE:
            out.append(sentence)
            continue
        piece = ""
        for clause in _CLAUSE_END.split(sentence):
            if piece and len(piece) + len(clause) > MAX_CHARS:
                out.append(piece)
                piece = ""
            piece += clause
        if piece:
            out.append(piece)
    return out


def search_units(sentences: list[str]) -> list[str]:
    """Each sentence, and after the sentences, the phrases of those over PHRASE_FROM characters:
    runs of comma clauses up to PHRASE_CHARS, each run overlapping the next by one clause."""
    phrases: list[str] = []
    for sentence in sentences:
        if len(sentence) <= PHRASE_FROM:
            continue
        clauses = [c for c in _CLAUSE_END.split(sentence) if c]
        if len(clauses) < 2:
            continue
        start = 0
        while start < len(clauses):
            end, size = start, 0
            while end < len(clauses) and (end == start or size + len(clauses[end]) <= PHRASE_CHARS):
                size += len(clauses[end])
                end += 1
            phrases.append("".join(clauses[start:end]))
            if end >= len(clauses):
                break
            start = max(start + 1, end - 1)
    return sentences + [p for p in dict.fromkeys(phrases) if p not in sentences]


def _pack(sentences: list[str], max_chars: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    previous = ""
    for sentence in sentences:
        if current and len(current) + len(sentence) > max_chars:
            chunks.append(current)
            current = ""
        # A table row stays a row: on its own line, not glued to the text before or after.
        if current and (is_table_row(sentence) or is_table_row(previous)):
            current += "\n"
        current += sentence
        previous = sentence
    if current:
        chunks.append(current)
    return chunks


def _chunk_id(doc: Document, ordinal: int, section: str, text: str) -> str:
    digest = hashlib.sha1(f"{doc.sha256}\x1f{ordinal}\x1f{section}\x1f{text}".encode()).hexdigest()
    return digest[:24]


def chunk_document(doc: Document, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Chunks of `doc` in reading order."""
    sections: list[tuple[str, list[str]]] = []  # (heading path, paragraphs)
    stack: list[tuple[int, str]] = []
    body: list[str] = []

    def flush() -> None:
        if body:
            path = PATH_SEPARATOR.join(title for _, title in stack) or PREAMBLE
            sections.append((path, list(body)))
            body.clear()

    for para in doc.paragraphs:
        heading = parse_heading(para) or styled_heading(para, doc.headings)
        if heading is None:
            body.append(para)
            continue
        flush()
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        stack.append((heading.level, heading.title))
        if heading.body:
            body.append(heading.body)
    flush()

    chunks: list[Chunk] = []
    leads: dict[str, str] = {}  # heading path -> the list-introducing sentence it ends with
    for path, paragraphs in sections:
        # Paragraphs of one section pack together; each keeps whole sentences.
        sentences: list[str] = []
        for para in paragraphs:
            sentences.extend(split_sentences(para))
        lead = _lead_for(path, leads)
        budget = max_chars - len(lead) if lead else max_chars
        for text in _pack(sentences, max(budget, max_chars // 2)):
            text = lead + text
            ordinal = len(chunks)
            chunks.append(Chunk(_chunk_id(doc, ordinal, path, text), doc.key, ordinal, path, text))
        if sentences and _LEAD_END.search(sentences[-1]) and len(sentences[-1]) <= MAX_LEAD:
            leads[path] = sentences[-1]
    return chunks


def _lead_for(path: str, leads: dict[str, str]) -> str:
    """The lead sentence of the nearest enclosing section, if that section introduces a list."""
    parts = path.split(PATH_SEPARATOR)
    for depth in range(len(parts) - 1, 0, -1):
        parent = PATH_SEPARATOR.join(parts[:depth])
        if parent in leads:
            return leads[parent]
    return ""
