"""What the `tepai` subcommands share: exit codes, the log, the knowledge base and its answerer,
a progress bar, running a coroutine. The subcommand modules (cli_admin, cli_eval, cli_programme)
and cli.py take these from here, so none of them imports cli.py back."""

from __future__ import annotations

import logging
import sys

from bot.settings import Settings
from core import texts

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_SETTINGS, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4

log = logging.getLogger("tepai")


def _knowledge(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.service import open_knowledge

    return open_knowledge(settings.knowledge)


def _progress_bar(enabled: bool):  # type: ignore[no-untyped-def]
    """A tqdm bar on a terminal's stderr; silent otherwise."""
    if not enabled or not sys.stderr.isatty():
        return None, lambda *_: None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="文件", file=sys.stderr, leave=False)

    def progress(label: str, done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.set_description(label[:30])
        bar.refresh()

    return bar, progress


def ensure_index(kb, quiet: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Index the bundled corpus on first run; rebuild an index made with another model."""
    from knowledge.index import BUNDLED_CORPUS

    if kb.index.snapshot() is None:
        if not quiet:
            print(texts.INDEXING_BUNDLED, file=sys.stderr)
    elif kb.index.is_stale() and not quiet:
        print(texts.REINDEXING_MODEL, file=sys.stderr)
    kb.index.ensure_ready([BUNDLED_CORPUS])


def _answerer(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.answers import Answerer

    kb = _knowledge(settings)
    ensure_index(kb)
    return Answerer(kb.retriever, settings.min_confidence, generator=_generator(settings))


def _generator(settings: Settings):  # type: ignore[no-untyped-def]
    if settings.answer_mode != "generative":
        return None
    from knowledge.generative import Generator

    return Generator.from_config(settings.llm)


def _run_async(coro):  # type: ignore[no-untyped-def]
    import asyncio

    return asyncio.run(coro)
