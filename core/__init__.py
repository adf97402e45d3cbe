"""The channel-neutral core of tepai, the floor `store/` builds on: every user-facing text
(`texts`), the neutral emphasis convention channels render (`markup`), neutral messages and
choices (`messages`), the one dialogue engine (`dialogue`) and its input error (`errors`), and
the rules that need no database (`campaigns`, `coverage`).

Imports neither `telegram`, `bot` nor `store`: a second channel reuses it unchanged. The domain
services that read the store are one floor up, in `services/`.
"""
