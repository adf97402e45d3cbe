"""The one error the core's rules raise for what a person typed: the engine and the validators share it."""

from __future__ import annotations


class ValidationError(ValueError):
    """The input cannot be accepted; ``message`` tells the user, in Chinese, what to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
