"""Jarvis: the French voice assistant of gym kiosks (LiveKit Agents worker, data layer, demo gym)."""
