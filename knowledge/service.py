"""Open the knowledge base from its configuration (plain values): embeddings, Chroma, index, retriever."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge.config import KnowledgeConfig
from knowledge.embeddings import BaseEmbeddings, make_embeddings
from knowledge.index import KnowledgeIndex
from knowledge.retrieval import Mode, Retriever
from knowledge.vectors import open_client


@dataclass
class KnowledgeBase:
    config: KnowledgeConfig
    embeddings: BaseEmbeddings
    index: KnowledgeIndex
    retriever: Retriever
    client: object = None  # the Chroma client, shared with the specialist match index


def open_knowledge(config: KnowledgeConfig, embeddings: BaseEmbeddings | None = None,
                   mode: Mode = "hybrid") -> KnowledgeBase:
    # A channel's settings object that carries one (`bot.settings.Settings.knowledge`) is
    # accepted while callers move over; knowledge/ reads nothing else from it.
    config = getattr(config, "knowledge", config)
    embeddings = embeddings or make_embeddings(config.embedding)
    client = open_client(config.chroma_dir, config.chroma_url)
    index = KnowledgeIndex(config.index_dir, embeddings, config.embedding, client)
    return KnowledgeBase(config, embeddings, index, Retriever(index, mode), client)
