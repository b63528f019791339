"""Reaching out: the closed feedback loop (`loop`) and survey campaigns (`campaigns`).

Both say what is to be said as `core.speech.Speech` (text and the actions offered) and queue it
in the outbox; the channels render it. Nothing here knows a messenger.
"""
