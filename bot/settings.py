"""The one place tepai reads its configuration: environment variables and `.env`.

Every setting has an environment name (shown in errors, documented in README and
`.env.example`). Tests build `Settings` from a plain mapping via `load_settings(environ)`
instead of patching `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.config import ConfigError, KnowledgeConfig, LLMConfig

DEFAULT_EMBEDDING = "e5-small"
# Built-in encoders, both shipped inside a wheel (see knowledge/embeddings.py), and the
# model-free `hashing` stand-in for tests.
BUILTIN_EMBEDDINGS = ("e5-small", "use-multilingual", "hashing")
WEBHOOK_SECRET_MIN = 32


class SettingsError(ConfigError):
    """A setting is missing or invalid; the message names the environment variable. (A
    `ConfigError` from knowledge/ names its variable too: callers catch `ConfigError` for both.)"""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=False,
        case_sensitive=False,
    )

    data_dir: Path = Field(default=Path("data"), alias="TEPAI_DATA_DIR")
    embedding: str = Field(default=DEFAULT_EMBEDDING, alias="TEPAI_EMBEDDING")
    chroma_url: str | None = Field(default=None, alias="CHROMA_URL")

    answer_mode: Literal["extractive", "generative"] = Field(
        default="extractive", alias="TEPAI_ANSWER_MODE"
    )
    llm_base_url: str | None = Field(default=None, alias="TEPAI_LLM_BASE_URL")
    llm_model: str | None = Field(default=None, alias="TEPAI_LLM_MODEL")
    llm_api_key: str | None = Field(default=None, alias="TEPAI_LLM_API_KEY")
    llm_timeout: float = Field(default=20.0, gt=0, le=600, alias="TEPAI_LLM_TIMEOUT")

    # Retrieval knobs an operator may tune on their own corpus.
    min_confidence: float | None = Field(default=None, ge=0, le=1, alias="TEPAI_MIN_CONFIDENCE")

    database_url: str | None = Field(default=None, alias="DATABASE_URL")

    telegram_bot_token: str | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default="https://api.telegram.org/bot", alias="TELEGRAM_API_BASE_URL")
    telegram_api_file_url: str | None = Field(default=None, alias="TELEGRAM_API_FILE_URL")
    staff_ids_raw: str = Field(default="", alias="TEPAI_STAFF_IDS")
    webhook_listen: str = Field(default="0.0.0.0", alias="TEPAI_WEBHOOK_LISTEN")
    webhook_port: int = Field(default=8443, ge=1, le=65535, alias="TEPAI_WEBHOOK_PORT")
    webhook_secret: str | None = Field(default=None, alias="TEPAI_WEBHOOK_SECRET")
    flood_limit: int = Field(default=20, ge=1, le=1000, alias="TEPAI_FLOOD_LIMIT")

    @model_validator(mode="before")
    @classmethod
    def _blank_means_default(cls, data: object) -> object:
        # `KEY=` in .env (as in .env.example) means "not set", never an empty value.
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and not v.strip())}
        return data

    @field_validator("embedding")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        value = value.strip()
        if value in BUILTIN_EMBEDDINGS:
            return value
        if value.startswith("sentence-transformers:") and value.split(":", 1)[1].strip():
            return value
        raise ValueError(
            f"unknown embedding backend {value!r}; use {' or '.join(repr(b) for b in BUILTIN_EMBEDDINGS)} "
            "or 'sentence-transformers:<path or installed model>'"
        )

    @field_validator("staff_ids_raw")
    @classmethod
    def _staff_ids(cls, value: str) -> str:
        for part in value.replace("，", ",").split(","):
            if part.strip() and not part.strip().lstrip("-").isdigit():
                raise ValueError(f"not a Telegram id: {part.strip()!r} (comma-separated numbers)")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _secret_charset(cls, value: str | None) -> str | None:
        import re

        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value):
            raise ValueError("1-256 characters of A-Z a-z 0-9 _ -")
        # Anyone who can guess the secret can post forged updates as any user, staff included.
        if value is not None and len(value) < WEBHOOK_SECRET_MIN:
            raise ValueError(f"至少 {WEBHOOK_SECRET_MIN} 个字符（现在 {len(value)} 个），"
                             "可用 python -c \"import secrets; print(secrets.token_urlsafe(32))\" 生成")
        return value

    @field_validator("chroma_url", "llm_base_url", "llm_model", "llm_api_key", "database_url",
                     "telegram_bot_token", "telegram_api_file_url", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("chroma_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def staff_ids(self) -> frozenset[int]:
        parts = self.staff_ids_raw.replace("，", ",").split(",")
        return frozenset(int(p.strip()) for p in parts if p.strip())

    @property
    def file_base_url(self) -> str:
        """Where PTB downloads files: derived from the API base URL unless set."""
        if self.telegram_api_file_url:
            return self.telegram_api_file_url
        base = self.telegram_api_base_url
        return base[: -len("bot")] + "file/bot" if base.endswith("/bot") else base.rstrip("/") + "/file/bot"

    @property
    def db_url(self) -> str:
        from store.db import default_url

        return self.database_url or default_url(self.data_dir)

    @property
    def knowledge(self) -> KnowledgeConfig:
        """What knowledge/ is given: plain values, no settings object."""
        return KnowledgeConfig(data_dir=self.data_dir, embedding=self.embedding, chroma_url=self.chroma_url)

    @property
    def llm(self) -> LLMConfig:
        return LLMConfig(base_url=self.llm_base_url, model=self.llm_model, api_key=self.llm_api_key,
                         timeout=self.llm_timeout)

    @property
    def index_dir(self) -> Path:
        return self.knowledge.index_dir

    @property
    def chroma_dir(self) -> Path:
        return self.knowledge.chroma_dir

    def require_llm(self) -> None:
        """Generative mode needs a model endpoint; fail naming what is missing."""
        try:
            self.llm.require()
        except ConfigError as exc:
            raise SettingsError(str(exc)) from None


class _MappingOnlySettings(Settings):
    """Settings read only from the mapping given, never the process environment."""

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args, **kwargs):  # type: ignore[no-untyped-def]
        return (init_settings,)


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
) -> Settings:
    """Build settings from `environ` (default: the process environment) and `.env`.

    Raises `SettingsError` naming the offending variable.
    """
    fields = {f.alias for f in Settings.model_fields.values() if f.alias}
    source = os.environ if environ is None else environ
    values = {k.upper(): v for k, v in source.items() if k.upper() in fields}
    try:
        if environ is None:
            settings = Settings(_env_file=env_file, **values)  # type: ignore[call-arg]
        else:
            settings = _MappingOnlySettings(**values)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = ".".join(str(p) for p in err["loc"]) or "?"
            problems.append(f"{name}: {str(err['msg']).removeprefix('Value error, ')}")
        raise SettingsError("配置无效 — " + "; ".join(problems)) from None
    if settings.answer_mode == "generative":
        settings.require_llm()
    return settings
