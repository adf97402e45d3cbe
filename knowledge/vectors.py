"""Chroma vector store: embedded `PersistentClient` by default, a server via `CHROMA_URL`."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

COLLECTION_PREFIX = "tepai"


def open_client(chroma_dir: Path, chroma_url: str | None):  # type: ignore[no-untyped-def]
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "localhost",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=chroma_settings)


def collection_name(kind: str, embedding: str) -> str:
    """One collection per (kind, embedding backend): vectors of two models never mix."""
    return f"{COLLECTION_PREFIX}-{kind}-{hashlib.sha1(embedding.encode()).hexdigest()[:12]}"


class VectorStore:
    """A cosine-similarity collection of vectors keyed by id."""

    def __init__(self, client, name: str) -> None:  # type: ignore[no-untyped-def]
        self._client = client
        self.name = name
        self._collection = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict] | None = None,
               documents: Sequence[str] | None = None) -> None:
        batch = max(1, min(self._client.get_max_batch_size(), 4096))
        for start in range(0, len(ids), batch):
            stop = start + batch
            self._collection.upsert(
                ids=list(ids[start:stop]),
                embeddings=vectors[start:stop],
                metadatas=list(metadatas[start:stop]) if metadatas else None,
                documents=list(documents[start:stop]) if documents else None,
            )

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first."""
        # No count() first: at 300k vectors it costs ~20 ms, ten times the query itself;
        # Chroma returns fewer results (or none) when the collection is smaller than k.
        result = self._collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k,
            include=["distances"],
            where=where,
        )
        ids = result["ids"][0] if result["ids"] else []
        distances = result["distances"][0] if result["distances"] else [1.0] * len(ids)
        return [(i, 1.0 - float(d)) for i, d in zip(ids, distances)]

    def query_with_metadata(self, vector: np.ndarray, k: int) -> list[tuple[float, dict]]:
        """(cosine similarity, metadata) best first."""
        result = self._collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k, include=["distances", "metadatas"],
        )
        return [(1.0 - float(d), dict(m)) for d, m in zip(result["distances"][0], result["metadatas"][0])]

    def delete_where(self, where: dict) -> None:
        self._collection.delete(where=where)

    def count_where(self, where: dict) -> int:
        return len(self._collection.get(where=where, include=[])["ids"])

    def ids(self) -> set[str]:
        return set(self._collection.get(include=[])["ids"])

    def has(self, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        found: set[str] = set()
        for start in range(0, len(ids), 4096):
            found.update(self._collection.get(ids=list(ids[start : start + 4096]), include=[])["ids"])
        return found

    def vectors_for(self, ids: Sequence[str]) -> dict[str, np.ndarray]:
        if not ids:
            return {}
        got = self._collection.get(ids=list(ids), include=["embeddings"])
        return {i: np.asarray(v, dtype=np.float32) for i, v in zip(got["ids"], got["embeddings"])}

    def delete(self, ids: Sequence[str]) -> None:
        for start in range(0, len(ids), 4096):
            self._collection.delete(ids=list(ids[start : start + 4096]))

    def count(self) -> int:
        return int(self._collection.count())
