"""Policy knowledge base: documents, chunks, embeddings, index, retrieval, answers.

Nothing here imports `telegram`: a second channel reuses this package unchanged.
"""
