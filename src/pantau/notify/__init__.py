"""Notification: alerts -> messages -> delivery through apprise, with a persistent outbox.

render.py (pure messages), deliver.py (apprise; the built-in stdout://), schedule.py (durations, digests,
quiet hours), outbox.py (what is due, retries with backoff).
"""
