"""The channel-neutral core of tepai: every user-facing text (`texts`), the neutral emphasis
convention channels render (`markup`), neutral messages and choices (`messages`), and the
domain decisions channels call (`roles`, `campaigns`, `staff`, `specialists`, `coverage`).

Never imports `telegram` or `bot`: a second channel (the web chat, the terminal) reuses it
unchanged. Above `knowledge/` and `store/`, below the channels.
"""
