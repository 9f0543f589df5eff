"""Reusable local servers for tests (SMTP sink, webhook receiver, scriptable site server)."""
