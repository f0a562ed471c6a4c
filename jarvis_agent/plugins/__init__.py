"""LiveKit plugins of Jarvis: the voices (espeak-ng offline fallback; Chatterbox on a GPU)."""
