"""Fakes of Discord and the image APIs, shared by tests/ and bench/ (dev only, not shipped)."""
