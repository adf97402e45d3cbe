"""The floors of the house: knowledge/ at the bottom, core/ (texts, markup, messages, the dialogue
engine) above it, store/ above core, services/ above the store, the channels (bot/, handlers/) on
top. Nothing below a channel may reach up into one — that is what
lets a second channel (the web chat) reuse them unchanged — and the texts stay plain, with
Telegram's markup added by the Telegram channel."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NEUTRAL = ("knowledge", "core", "store", "services")
CHANNEL_PACKAGES = ("bot", "telegram", "handlers")


def neutral_modules() -> list[str]:
    names = []
    for package in NEUTRAL:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            if "migrations" in relative.parts or "corpus" in relative.parts:
                continue  # Alembic scripts run under Alembic, never imported by the app
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            names.append(".".join(parts))
    return names


def test_importing_every_neutral_module_loads_no_channel() -> None:
    """In a fresh interpreter, import all of knowledge/, core/, store/ and services/: neither python-telegram-bot
    nor any of the bot's own modules comes along."""
    modules = neutral_modules()
    assert len(modules) > 40 and "core.texts" in modules and "store.outbox" in modules and "services.dialogues" in modules
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('bot', 'telegram', 'handlers'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):  # also the imports inside functions: they run upward just the same
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def test_no_neutral_module_even_mentions_a_channel_import() -> None:
    """A static scan, for the imports a test run would never reach (inside a rarely taken branch)."""
    upward = [f"{path.relative_to(ROOT)}:{line} imports {name}"
              for package in NEUTRAL for path in sorted((ROOT / package).rglob("*.py"))
              for line, name in _imports(path) if name.split(".")[0] in CHANNEL_PACKAGES]
    assert upward == []


def test_each_floor_imports_only_the_floors_below_it() -> None:
    """knowledge/ imports none of ours; core/ only knowledge/; store/ not services/ — so the engine
    and the texts the store builds on never reach up into the database code that uses them."""
    above = {"knowledge": ("core", "store", "services"), "core": ("store", "services"), "store": ("services",)}
    upward = [f"{path.relative_to(ROOT)}:{line} imports {name}"
              for package, forbidden in above.items() for path in sorted((ROOT / package).rglob("*.py"))
              for line, name in _imports(path) if name.split(".")[0] in forbidden]
    assert upward == []


def test_the_validators_load_without_the_knowledge_stack() -> None:
    """`import store.validators` is regexes and texts: it must not drag in numpy or langchain."""
    script = ("import sys, json, store.validators\n"
              "print(json.dumps(sorted(m for m in ('numpy', 'langchain_core', 'knowledge.answers', 'sqlalchemy.orm')"
              " if m in sys.modules)))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip()) == []


# Texts that show staff how to write Telegram HTML in an announcement: the tags are the subject.
SHOWS_HTML_SYNTAX = {"BROADCAST_BAD_HTML", "BROADCAST_ASK_TEXT", "BROADCAST_HTML_REASONS"}


def test_texts_are_plain_with_only_the_neutral_emphasis() -> None:
    from core import texts

    tagged = []
    for name, value in vars(texts).items():
        if name.startswith("_") or name in SHOWS_HTML_SYNTAX:
            continue
        values = value.values() if isinstance(value, dict) else [value]
        for text in values:
            if isinstance(text, str) and (re.search(r"</?[a-z]+[ >]", text) or re.search(r"&[a-z]+;", text)):
                tagged.append(name)
            if isinstance(text, str) and text.count("**") % 2:
                tagged.append(f"{name} (unbalanced **)")
    assert tagged == []


# Bot API calls, and the handlers' helpers that make them.
TELEGRAM_CALLS = {"reply_text", "reply_html", "reply_document", "send_message", "send_document", "send_photo",
                  "edit_message_text", "edit_message_reply_markup", "send_chat_action", "set_my_commands",
                  "send_html", "spend_buttons", "_preview", "suggest", "notify_specialist"}
TELEGRAM_OBJECTS = ("query", "message", "effective_message", "bot")


def _telegram_call(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name == "answer":  # a callback query's answer, not store.engagements.answer
        return isinstance(func, ast.Attribute) and ast.unparse(func.value).split(".")[-1] in TELEGRAM_OBJECTS
    return name in TELEGRAM_CALLS


def test_no_handler_awaits_telegram_inside_a_database_session() -> None:
    """The rule the runtime watch (tests/handlers/test_no_send_in_transaction.py) checks on a few
    flows, read off every handler: inside `async with … session …:` nothing awaits Telegram —
    replies are queued with `AfterCommit` or made after the block."""
    found = []
    for path in sorted((ROOT / "handlers").glob("*.py")) + [ROOT / "bot" / "broadcaster.py", ROOT / "bot" / "app.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.AsyncWith | ast.With):
                continue
            if not any("session" in ast.unparse(item.context_expr) for item in node.items):
                continue
            for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
                if isinstance(inner, ast.Await) and isinstance(inner.value, ast.Call) and _telegram_call(inner.value):
                    found.append(f"{path.relative_to(ROOT)}:{inner.lineno} {ast.unparse(inner.value)[:60]}")
    assert found == []
