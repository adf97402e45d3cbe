"""Lexical retrieval: BM25 (bm25s) over jieba tokens.

The tokenizer is shared by indexing and querying; `coverage` measures how much of a
question's vocabulary (IDF-weighted) a passage actually contains, one of the signals
used to decide whether the documents answer a question at all.
"""

from __future__ import annotations

import json
import logging
import marshal
import math
import os
import re
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from knowledge.vocabulary import DOMAIN_WORDS

_STOPWORDS = frozenset(
    """的 了 和 与 及 或 是 在 有 对 为 把 被 将 从 向 以 于 等 中 上 下 里 也 都 还 就 又 而 并 且
    吗 呢 吧 啊 呀 么 什么 怎么 怎样 怎么样 如何 哪些 哪个 哪里 哪儿 哪 多少 几 是否 是不是 能否 能不能
    可以 可 能 会 要 需要 应该 应当 请问 请 一下 我 我们 你 你们 他 她 它 他们 这 那 这个 那个 这些 那些
    个 之 其 该 此 各 谁 吗 有没有 没有 么样 时候 哪些方面 具体 一些 相关 关于 方面 给 让 得 地 着 过
    the a an of to in on for and or is are be how what which who when where why do does can i we you""".split()
)
_TOKEN_OK = re.compile(r"[\w\u4e00-\u9fff]", re.UNICODE)

_jieba_lock = threading.Lock()
_jieba_ready = False


def _bm25s():  # type: ignore[no-untyped-def]
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import
    return bm25s


def _jieba():  # type: ignore[no-untyped-def]
    global _jieba_ready
    import jieba

    with _jieba_lock:
        if not _jieba_ready:
            jieba.setLogLevel(logging.WARNING)
            for word in DOMAIN_WORDS:
                jieba.add_word(word, freq=20000)
            _jieba_ready = True
    return jieba


_idf_lock = threading.Lock()
_general_idf: dict[str, float] | None = None
_UNKNOWN_IDF = 11.95  # jieba's own default for words outside its table (the median)


def general_idf(cache_dir: Path | None = None) -> dict[str, float]:
    """IDF of words in general Chinese (jieba's table), cached as marshal for fast start-up.

    Coverage is weighted with it rather than with the corpus's own IDF: a small corpus
    cannot tell a generic word (申请) from a specific one (公租房).
    """
    global _general_idf
    with _idf_lock:
        if _general_idf is not None:
            return _general_idf
        import jieba

        # The file only: importing jieba.analyse loads its POS model (~0.5 s of start-up).
        source = Path(jieba.__file__).parent / "analyse" / "idf.txt"
        cached = cache_dir / "jieba-idf.marshal" if cache_dir else None
        table: dict[str, float] | None = None
        if cached and cached.exists():
            try:
                table = marshal.loads(cached.read_bytes())
            except (ValueError, EOFError, TypeError):
                table = None
        if table is None:
            table = {}
            with source.open(encoding="utf-8") as handle:
                for line in handle:
                    word, _, value = line.rstrip().rpartition(" ")
                    if word:
                        table[word] = float(value)
            if cached:
                cached.parent.mkdir(parents=True, exist_ok=True)
                tmp = cached.with_suffix(".tmp")
                tmp.write_bytes(marshal.dumps(table))
                os.replace(tmp, cached)
        _general_idf = table
        return table


def token_weights(tokens: list[str], cache_dir: Path | None = None) -> dict[str, float]:
    """How informative each distinct question word is, in general Chinese."""
    idf = general_idf(cache_dir)
    return {t: idf.get(t, _UNKNOWN_IDF) for t in set(tokens)}


def coverage(weights: dict[str, float], passage: str) -> float:
    """Weighted share of the question's words that `passage` contains (0–1)."""
    total = sum(weights.values())
    if not total:
        return 0.0
    text = passage.lower()
    return sum(w for t, w in weights.items() if t in text) / total


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens, lower-cased, without punctuation and stop words."""
    jieba = _jieba()
    tokens = []
    for token in jieba.lcut_for_search(text.lower()):
        token = token.strip()
        if token and token not in _STOPWORDS and _TOKEN_OK.search(token):
            tokens.append(token)
    return tokens


class LexicalIndex:
    """BM25 over a fixed list of passages, plus document frequencies for IDF."""

    def __init__(self, retriever, df: dict[str, int], size: int) -> None:  # type: ignore[no-untyped-def]
        self._retriever = retriever
        self._df = df
        self.size = size

    @classmethod
    def build(cls, passages: Iterable[str]) -> LexicalIndex:
        bm25s = _bm25s()

        corpus = [tokenize(p) for p in passages]
        df: Counter[str] = Counter()
        for tokens in corpus:
            df.update(set(tokens))
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            retriever.index(corpus, show_progress=False)
        return cls(retriever, dict(df), len(corpus))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._retriever.save(str(directory / "bm25"))
        (directory / "df.json").write_text(
            json.dumps({"size": self.size, "df": self._df}, ensure_ascii=False), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        bm25s = _bm25s()

        meta = json.loads((directory / "df.json").read_text(encoding="utf-8"))
        retriever = bm25s.BM25.load(str(directory / "bm25")) if meta["size"] else bm25s.BM25()
        return cls(retriever, meta["df"], meta["size"])

    def knows(self, token: str) -> bool:
        """Whether any passage contains `token`."""
        return token in self._df

    def idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def scores(self, query_tokens: list[str]) -> np.ndarray:
        if not self.size or not query_tokens:
            return np.zeros(self.size, dtype=np.float32)
        known = [t for t in query_tokens if t in self._df]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(known), dtype=np.float32)

