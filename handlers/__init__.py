"""Telegram handlers, one module per feature (filled by the bot issue)."""
