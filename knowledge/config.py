"""What the knowledge base needs to know about its configuration, as plain values.

The channels' settings (bot/settings.py reads the environment) build these; `knowledge/`
never reads the environment or imports the bot. A value that cannot work raises
`ConfigError`, whose message names the setting, for the caller to report its own way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ConfigError(Exception):
    """A setting of the knowledge base is missing or unusable; the message names it."""


@dataclass(frozen=True)
class KnowledgeConfig:
    data_dir: Path
    embedding: str
    chroma_url: str | None = None  # None: Chroma embedded in data_dir

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"


@dataclass(frozen=True)
class LLMConfig:
    """An OpenAI-compatible chat endpoint for generative answers."""

    base_url: str | None
    model: str | None
    api_key: str | None = None
    timeout: float = 20.0

    def require(self) -> None:
        """Generative mode needs a model endpoint; fail naming what is missing."""
        missing = [name for name, value in (("TEPAI_LLM_BASE_URL", self.base_url), ("TEPAI_LLM_MODEL", self.model))
                   if not value]
        if missing:
            raise ConfigError("TEPAI_ANSWER_MODE=generative 需要设置 " + "、".join(missing))
