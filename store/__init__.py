"""SQL store: models, repositories, migrations (filled by the bot issue)."""
