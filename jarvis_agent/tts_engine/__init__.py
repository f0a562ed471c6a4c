"""The TTS engine: one speech model per host (Chatterbox on a GPU) serving every kiosk session.

`engine.py` (queue, fair interleaving, cancellation, phrase cache, voices), `model.py` (the model interface and
errors), `chatterbox_model.py` (Chatterbox behind it), `emotions.py` (the seven presets), `server.py` (HTTP),
`host.py` (one engine per host, launched by the worker), `loader.py` (from settings). The LiveKit side is
`jarvis_agent/plugins/chatterbox_tts.py`.
"""
