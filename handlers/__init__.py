"""Telegram handlers, one module per feature; each reads the update, calls a service, formats the reply."""

from __future__ import annotations

from telegram.ext import Application


def register_all(application: Application) -> None:
    from handlers import (broadcast, common, conflicts, coverage, dialogues, docs, engagements, errors, handoff, matching,
                          media, qa, specialists, start, survey)

    common.register(application)  # group -1: flood guard and user tracking
    start.register(application)
    docs.register(application)
    broadcast.register(application)
    dialogues.register(application)  # the survey's, registration's and nomination's buttons
    survey.register(application)
    coverage.register(application)
    specialists.register(application)
    matching.register(application)
    engagements.register(application)
    conflicts.register(application)
    handoff.register(application)  # staff replies before plain questions
    media.register(application)
    qa.register(application)
    errors.register(application)
