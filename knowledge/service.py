"""Open the knowledge base from settings: embeddings, Chroma, index, retriever, answerer."""

from __future__ import annotations

from dataclasses import dataclass

from bot.settings import Settings
from knowledge.embeddings import BaseEmbeddings, make_embeddings
from knowledge.index import KnowledgeIndex
from knowledge.retrieval import Mode, Retriever
from knowledge.vectors import open_client


@dataclass
class KnowledgeBase:
    settings: Settings
    embeddings: BaseEmbeddings
    index: KnowledgeIndex
    retriever: Retriever
    client: object = None  # the Chroma client, shared with the specialist match index


def open_knowledge(settings: Settings, embeddings: BaseEmbeddings | None = None, mode: Mode = "hybrid") -> KnowledgeBase:
    embeddings = embeddings or make_embeddings(settings.embedding)
    client = open_client(settings.chroma_dir, settings.chroma_url)
    index = KnowledgeIndex(settings.index_dir, embeddings, settings.embedding, client)
    return KnowledgeBase(settings, embeddings, index, Retriever(index, mode), client)
