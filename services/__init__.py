"""Domain services above the store, below the channels: who someone is (`roles`), who may ask for
which specialist (`matching`), what each side of an invitation is told (`engagements`), and the
table of the four dialogues with the one query that finds a person's (`dialogues`).

They take a session and plain values (person ids, never a channel's id) and return outcomes and
notices; a channel renders them and delivers after the commit. Imports neither `telegram` nor `bot`.
"""
