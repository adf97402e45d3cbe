"""tepai: wiring, settings, CLI and channels."""
