from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings


def test_defaults_work_offline_without_any_setting() -> None:
    settings = load_settings({})
    assert settings.data_dir == Path("data")
    assert settings.embedding == "e5-small"
    assert settings.chroma_url is None and settings.answer_mode == "extractive"


def test_values_come_from_the_mapping_given() -> None:
    settings = load_settings({"TEPAI_DATA_DIR": "/srv/tepai", "CHROMA_URL": "http://10.0.0.5:8000",
                              "TEPAI_EMBEDDING": "sentence-transformers:/models/bge-small-zh"})
    assert settings.data_dir == Path("/srv/tepai")
    assert settings.chroma_url == "http://10.0.0.5:8000"
    assert settings.embedding.endswith("bge-small-zh")


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"TEPAI_EMBEDDING": "word2vec"}, "TEPAI_EMBEDDING"),
        ({"CHROMA_URL": "localhost:8000"}, "CHROMA_URL"),
        ({"TEPAI_ANSWER_MODE": "poetry"}, "TEPAI_ANSWER_MODE"),
        ({"TEPAI_LLM_TIMEOUT": "-3"}, "TEPAI_LLM_TIMEOUT"),
        ({"TEPAI_MIN_CONFIDENCE": "2"}, "TEPAI_MIN_CONFIDENCE"),
        ({"TEPAI_ANSWER_MODE": "generative"}, "TEPAI_LLM_BASE_URL"),
    ],
)
def test_an_invalid_setting_fails_fast_and_names_itself(env: dict[str, str], name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings(env)


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEPAI_DATA_DIR", raising=False)
    (tmp_path / ".env").write_text("TEPAI_DATA_DIR=/from/dotenv\nTEPAI_LLM_MODEL=qwen\n", encoding="utf-8")
    settings = load_settings()
    assert settings.data_dir == Path("/from/dotenv") and settings.llm_model == "qwen"


def test_environment_beats_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("TEPAI_DATA_DIR=/from/dotenv\n", encoding="utf-8")
    monkeypatch.setenv("TEPAI_DATA_DIR", "/from/env")
    assert load_settings().data_dir == Path("/from/env")


def test_the_example_env_file_works_as_it_is(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / ".env.example"
    (tmp_path / ".env").write_text(example.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.delenv("TEPAI_DATA_DIR", raising=False)
    settings = load_settings()
    assert settings.min_confidence is None and settings.telegram_bot_token is None
    assert settings.database_url is None and settings.staff_ids == frozenset()
    assert settings.webhook_port == 8443 and settings.embedding == "e5-small"


def test_a_short_webhook_secret_is_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match="TEPAI_WEBHOOK_SECRET"):
        load_settings({"TEPAI_WEBHOOK_SECRET": "s3cret-token"})
    assert load_settings({"TEPAI_WEBHOOK_SECRET": "a" * 32}).webhook_secret == "a" * 32


def test_a_short_webhook_secret_exits_3_naming_the_variable(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from bot.cli import main

    monkeypatch.setenv("TEPAI_WEBHOOK_SECRET", "short-secret")
    assert main(["run", "--webhook", "https://bot.example.gov.cn/hook"]) == 3
    assert "TEPAI_WEBHOOK_SECRET" in capsys.readouterr().err
