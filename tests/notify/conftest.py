"""Fixtures for the notify tests: local SMTP and webhook servers, sample alerts, the user's zones."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from support.alerts import make_alert
from support.smtp import SmtpSink
from support.webhook import WebhookSink

from pantau.models import Alert


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
def webhook_sink() -> Iterator[WebhookSink]:
    with WebhookSink() as sink:
        yield sink


@pytest.fixture
def jakarta() -> ZoneInfo:
    return ZoneInfo("Asia/Jakarta")


@pytest.fixture
def alert() -> Alert:
    return make_alert()
