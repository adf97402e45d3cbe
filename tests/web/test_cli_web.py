"""`tepai web`: the operator starts the web chat from the shell and stops it with Ctrl+C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bot import texts
from bot.web.browser import free_port

REPO = Path(__file__).resolve().parents[2]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TEPAI_WEB_")}
    return {**env, "TEPAI_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", **extra}


def test_a_short_secret_is_refused_at_start_naming_the_setting(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "web", "--port", "9"], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env=_env(tmp_path / "data", TEPAI_WEB_SECRET="too-short"))
    assert done.returncode == 3
    assert "TEPAI_WEB_SECRET" in done.stderr and "Traceback" not in done.stderr


def test_tepai_web_serves_the_page_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    data = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-m", "bot", "web", "--port", str(port)], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(data))
    try:
        page = None
        deadline = time.monotonic() + 300  # the first start indexes the bundled policy
        while time.monotonic() < deadline and process.poll() is None:
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        assert page is not None, process.stderr.read() if process.poll() is not None else "no answer"
        assert page.status_code == 200 and texts.WEB_PAGE["heading"] in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert "server" not in page.headers  # no version banner
        # The generated secret is the operator's alone.
        assert (data / "web-secret").stat().st_mode & 0o777 == 0o600
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert texts.WEB_STARTING.format(host="127.0.0.1", port=port) in out
    assert "Traceback" not in err
