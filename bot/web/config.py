"""The web chat's settings, read from an environment mapping (tests pass a dict).

| variable | default | what it does |
|---|---|---|
| `TEPAI_WEB_SECRET` | generated once into `TEPAI_DATA_DIR/web-secret` (0600) | signs the session cookie; ≥ 32 characters; every worker of one site needs the same |
| `TEPAI_WEB_TRUSTED_PROXIES` | (none) | addresses / CIDRs of the reverse proxy whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed |
| `TEPAI_WEB_FRAME_ANCESTORS` | `'none'` | CSP frame-ancestors: the bureau site(s) allowed to embed the page in an iframe |
| `TEPAI_WEB_SECURE_COOKIE` | `auto` | `auto`: Secure when the request came over https (directly or via a trusted proxy); `1` always; `0` never |
| `TEPAI_WEB_SESSION_LIMIT` | 20 | requests (questions, presses) per visitor per minute |
| `TEPAI_WEB_ADDRESS_LIMIT` | 60 | requests per client address per minute (new sessions included) |
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from core import texts
from bot.settings import SettingsError

SECRET_MIN = 32
SECRET_FILE = "web-secret"
MAX_BODY = 16 * 1024  # bytes of one request body: a question is ≤ 500 characters, a survey answer ≤ 1,000
MAX_MESSAGE = 1000  # characters of one typed message (the survey's longest answer)
SESSION_DAYS = 180  # a visitor is recognised for half a year (a survey draft outlives a closed tab)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class WebConfig:
    secret: str
    trusted_proxies: tuple[Network, ...] = ()
    frame_ancestors: str = "'none'"
    secure_cookie: str = "auto"
    session_limit: int = 20
    address_limit: int = 60
    window: float = 60.0
    extra: dict[str, str] = field(default_factory=dict)

    def trusts(self, address: str | None) -> bool:
        if not address:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted_proxies)


def _bad(name: str, reason: str) -> SettingsError:
    return SettingsError(texts.WEB_BAD_SETTING.format(name=name, reason=reason))


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
        raise _bad(name, "1–100000 的整数")
    return int(raw)


def _proxies(raw: str) -> tuple[Network, ...]:
    nets = []
    for part in raw.replace("，", ",").split(","):
        if part.strip():
            try:
                nets.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise _bad("TEPAI_WEB_TRUSTED_PROXIES", f"不是 IP 地址或网段：{part.strip()[:40]}") from None
    return tuple(nets)


def _frame_ancestors(raw: str) -> str:
    value = " ".join(raw.split()) or "'none'"
    # Only sources, never a second directive smuggled in with ';'.
    if not re.fullmatch(r"[A-Za-z0-9'*:/.\-_ ]{1,500}", value):
        raise _bad("TEPAI_WEB_FRAME_ANCESTORS", "只能是来源列表，如 https://kjj.jinan.gov.cn 或 'self'")
    return value


def load_secret(data_dir: Path, environ: Mapping[str, str]) -> str:
    """TEPAI_WEB_SECRET, else the one generated into the data dir on first start (0600)."""
    given = (environ.get("TEPAI_WEB_SECRET") or "").strip()
    if given:
        if len(given) < SECRET_MIN:
            raise SettingsError(texts.WEB_SECRET_SHORT.format(min=SECRET_MIN, n=len(given)))
        return given
    path = data_dir / SECRET_FILE
    if path.exists():
        stored = path.read_text(encoding="utf-8").strip()
        if len(stored) >= SECRET_MIN:
            return stored
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    try:  # created 0600 from the start: never readable by others, not even for a moment
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it a moment ago: use theirs
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secret + "\n")
    return secret


def load_web_config(data_dir: Path, environ: Mapping[str, str] | None = None,
                    env_file: str | Path = ".env") -> WebConfig:
    """The web settings from `environ`, or (None) the process environment over `.env` as for every
    other setting; SettingsError naming the variable when one is invalid."""
    if environ is None:
        from dotenv import dotenv_values

        from_file = {k: v for k, v in dotenv_values(env_file).items() if v is not None} if Path(env_file).is_file() else {}
        env: Mapping[str, str] = {**from_file, **os.environ}
    else:
        env = environ
    secure = (env.get("TEPAI_WEB_SECURE_COOKIE") or "auto").strip().lower()
    if secure not in ("auto", "1", "0", "true", "false"):
        raise _bad("TEPAI_WEB_SECURE_COOKIE", "auto、1 或 0")
    secure = {"true": "1", "false": "0"}.get(secure, secure)
    return WebConfig(
        secret=load_secret(data_dir, env),
        trusted_proxies=_proxies(env.get("TEPAI_WEB_TRUSTED_PROXIES") or ""),
        frame_ancestors=_frame_ancestors(env.get("TEPAI_WEB_FRAME_ANCESTORS") or ""),
        secure_cookie=secure,
        session_limit=_int(env, "TEPAI_WEB_SESSION_LIMIT", 20),
        address_limit=_int(env, "TEPAI_WEB_ADDRESS_LIMIT", 60),
    )
