"""The FastAPI token server: kiosk sessions, LiveKit tokens, agent dispatch, manager dashboard REST."""
