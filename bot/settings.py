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

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_EMBEDDING = "use-multilingual"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names the environment variable."""


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

    @field_validator("embedding")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        value = value.strip()
        if value == DEFAULT_EMBEDDING:
            return value
        if value.startswith("sentence-transformers:") and value.split(":", 1)[1].strip():
            return value
        raise ValueError(
            f"unknown embedding backend {value!r}; use '{DEFAULT_EMBEDDING}' or "
            "'sentence-transformers:<path or installed model>'"
        )

    @field_validator("chroma_url", "llm_base_url", "llm_model", "llm_api_key", mode="before")
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
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    def require_llm(self) -> None:
        """Generative mode needs a model endpoint; fail naming what is missing."""
        missing = [
            name
            for name, value in (
                ("TEPAI_LLM_BASE_URL", self.llm_base_url),
                ("TEPAI_LLM_MODEL", self.llm_model),
            )
            if not value
        ]
        if missing:
            raise SettingsError(
                "TEPAI_ANSWER_MODE=generative 需要设置 " + "、".join(missing)
            )


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
            problems.append(f"{name}: {err['msg']}")
        raise SettingsError("配置无效 — " + "; ".join(problems)) from None
    if settings.answer_mode == "generative":
        settings.require_llm()
    return settings
