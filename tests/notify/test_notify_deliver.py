"""Delivery through apprise to real local servers: what arrives, what fails, and what is never revealed."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from support.alerts import make_alert
from support.smtp import SmtpSink
from support.webhook import WebhookSink

from pantau.channels import validate_channel_url
from pantau.errors import ConfigError, DeliveryError
from pantau.notify.deliver import DELIVERY_HEADER, STDOUT_SEPARATOR, Notifier
from pantau.notify.render import Message, render_alert
from pantau.redact import redact_text, redact_url, secrets_of

JAKARTA = ZoneInfo("Asia/Jakarta")
CASES = yaml.safe_load((Path(__file__).parent / "channel_cases.yaml").read_text(encoding="utf-8"))
VALIDATE = [c for c in CASES if "url" in c]
REDACT = [c for c in CASES if "redact" in c]


def send(notifier: Notifier, channel: str, message: Message, key: str | None = None) -> None:
    asyncio.run(notifier.send(channel, message, key=key))


@pytest.mark.parametrize("case", VALIDATE, ids=[c["id"] for c in VALIDATE])
def test_validate_channel_url(case: dict[str, object]) -> None:
    problem = validate_channel_url(str(case["url"]))
    if case["error"] is None:
        assert problem is None
    else:
        assert problem is not None and str(case["error"]) in problem
        for secret in case.get("secret", []):  # type: ignore[attr-defined]
            assert secret not in problem


@pytest.mark.parametrize("case", REDACT, ids=[c["id"] for c in REDACT])
def test_redact_url(case: dict[str, str]) -> None:
    assert redact_url(case["redact"]) == case["expected"]


# Passwords as people paste them into ${SMTP_PASSWORD}: including "@", "/", "?", "#" and ":" unencoded.
PASSWORDS = st.text(
    alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_.~!$*@/?#:", min_size=1
)


@given(PASSWORDS, st.sampled_from(["mailto", "mailtos", "json", "jsons", "xml", "form"]))
def test_no_password_survives_redaction(password: str, scheme: str) -> None:
    url = f"{scheme}://someone:{password}@smtp.example.org:2525/path?to=desk@example.org&format=markdown"
    assert (
        redact_url(url)
        == f"{scheme}://someone:***@smtp.example.org:2525/path?to=desk@example.org&format=markdown"
    )


@given(PASSWORDS.filter(lambda p: len(p) >= 3 and "*" not in p))  # "***" is what redaction writes
def test_no_password_survives_in_a_reason(password: str) -> None:
    url = f"mailtos://alerts:{password}@smtp.example.org?to=desk@example.org"
    assert password not in redact_text(
        f"535 authentication failed for alerts:{password} on {url}", secrets_of(url)
    )


@given(PASSWORDS)
def test_validation_messages_never_quote_the_password(tail: str) -> None:
    password = "Zq9" + tail  # a prefix no other part of the URL or message contains
    for url in (
        f"mailtos://alerts:{password}@smtp.example.org?to=desk@example.org",
        f"mailtos://alerts:{password}@smtp.example.org?from=nobody&to=desk@example.org",
        f"tgramx://alerts:{password}@smtp.example.org",
    ):
        assert password not in (validate_channel_url(url) or "")


def test_smtp_delivery_arrives_with_subject_body_and_key(smtp_sink: SmtpSink) -> None:
    message = render_alert(make_alert(title="NATO <script>x</script> & Japan"), JAKARTA)
    send(Notifier({"desk": [smtp_sink.url()]}), "desk", message, key="alert-41-desk")
    [mail] = smtp_sink.wait_for(1)
    assert mail["Subject"] == message.title
    assert mail["To"] == "desk@example.org" and "pantau@example.org" in mail["From"]
    assert mail[DELIVERY_HEADER] == "alert-41-desk"
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    page = html_part.get_content()
    assert "<strong>NATO</strong>" in page  # the snippet's hit
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "https://english.kyodonews.net/news/2026/11/a81f-nato-japan-liaison.html" in page


def test_smtp_rejection_is_a_delivery_error(smtp_sink: SmtpSink) -> None:
    smtp_sink.reply = "554 5.7.1 message refused"
    with pytest.raises(DeliveryError, match=r"^notify: channel 'desk' failed: mailto://127\.0\.0\.1"):
        send(Notifier({"desk": [smtp_sink.url()]}), "desk", Message("t", "b"))


def test_webhook_receives_json_and_idempotency_key(webhook_sink: WebhookSink) -> None:
    message = render_alert(make_alert(), JAKARTA)
    send(Notifier({"hook": [webhook_sink.url("/hook")]}), "hook", message, key="alert-41-hook")
    [request] = webhook_sink.requests
    assert request.path == "/hook"
    assert request.headers[DELIVERY_HEADER.lower()] == "alert-41-hook"
    assert request.json["title"] == message.title
    assert "NATO and Japan agree" in request.json["message"]


def test_no_key_means_no_header(webhook_sink: WebhookSink) -> None:
    send(Notifier({"hook": [webhook_sink.url()]}), "hook", Message("t", "b"))
    assert DELIVERY_HEADER.lower() not in webhook_sink.requests[0].headers


def test_same_key_on_retry_lets_the_receiver_drop_the_repeat(webhook_sink: WebhookSink) -> None:
    webhook_sink.statuses = [500]
    notifier = Notifier({"hook": [webhook_sink.url()]})
    with pytest.raises(DeliveryError, match=r"^notify: channel 'hook' failed: .*500"):
        send(notifier, "hook", Message("t", "b"), key="alert-7-hook")
    send(notifier, "hook", Message("t", "b"), key="alert-7-hook")
    keys = [r.headers[DELIVERY_HEADER.lower()] for r in webhook_sink.requests]
    assert keys == ["alert-7-hook", "alert-7-hook"]


def test_every_url_of_a_channel_must_succeed(webhook_sink: WebhookSink, smtp_sink: SmtpSink) -> None:
    webhook_sink.statuses = [500]
    notifier = Notifier({"both": [smtp_sink.url(), webhook_sink.url("/down")]})
    with pytest.raises(DeliveryError) as caught:
        send(notifier, "both", Message("t", "b"))
    assert "/down" in str(caught.value) and "mailto://" not in str(caught.value)
    assert len(smtp_sink.wait_for(1)) == 1  # the healthy URL still got its copy


def test_failure_never_reveals_the_password(
    webhook_sink: WebhookSink, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zq8-unguessable-9xT"
    webhook_sink.statuses = [500, 500]
    urls = [
        webhook_sink.url("/hook").replace("json://", f"json://pantau:{secret}@"),
        f"json://127.0.0.1:9/hook?+Authorization=Bearer-{secret}",
    ]  # port 9: nothing listens
    caplog.set_level(logging.DEBUG, logger="apprise")
    with pytest.raises(DeliveryError) as caught:
        send(Notifier({"hook": urls}), "hook", Message("t", "b"))
    assert "***" in str(caught.value) and secret not in str(caught.value)
    assert secret not in caplog.text


def test_stdout_prints_the_plain_body_once(capsys: pytest.CaptureFixture[str]) -> None:
    message = render_alert(make_alert(title="NATO *and* <Japan>"), JAKARTA)
    send(Notifier({"terminal": ["stdout://"]}), "terminal", message)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "NATO *and* <Japan>"  # the body's bold title line, without markdown marks
    assert out.count("NATO *and* <Japan>") == 1  # the subject line is not repeated
    assert "\\" not in out and "&lt;" not in out and "**" not in out
    assert "Link: https://english.kyodonews.net/news/2026/11/a81f-nato-japan-liaison.html" in lines


def test_stdout_alerts_are_visibly_separated(capsys: pytest.CaptureFixture[str]) -> None:
    notifier = Notifier({"terminal": ["stdout://"]})
    for title in ("NATO opens an office in Tokyo", "Japan joins NATO cyber centre"):
        send(notifier, "terminal", render_alert(make_alert(title=title), JAKARTA))
    out = capsys.readouterr().out
    messages = [m.strip() for m in out.split(STDOUT_SEPARATOR) if m.strip()]
    assert [m.splitlines()[0] for m in messages] == [
        "NATO opens an office in Tokyo",
        "Japan joins NATO cyber centre",
    ]
    assert out.count(STDOUT_SEPARATOR + "\n") == 2
    assert "\n\nJapan joins" in out  # a blank line before the next alert, too


def test_stdout_alone_never_loads_apprise() -> None:
    probe = (
        "import asyncio, sys\n"
        "from pantau.notify.deliver import Notifier\n"
        "from pantau.notify.render import Message\n"
        "asyncio.run(Notifier({'t': ['stdout://']}).send('t', Message('t', 'NATO body'), key='k'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'apprise'), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("NATO body\n" + STDOUT_SEPARATOR)
    assert done.stderr.strip() == "[]"


@pytest.mark.timeout(30)  # written on the event loop, it would block the test until then
def test_a_stdout_nobody_reads_holds_up_only_its_own_channel(
    monkeypatch: pytest.MonkeyPatch, webhook_sink: WebhookSink
) -> None:
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        while True:
            os.write(write_end, b"x" * 4096)  # fill the pipe, as a reader that stopped reading would
    except BlockingIOError:
        pass
    os.set_blocking(write_end, True)
    stream = io.TextIOWrapper(os.fdopen(write_end, "wb"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", stream)
    notifier = Notifier({"terminal": ["stdout://"], "hook": [webhook_sink.url("/hook")]})

    async def scenario() -> None:
        printing = asyncio.create_task(notifier.send("terminal", Message("t", "NATO body")))
        await notifier.send("hook", Message("t", "b"))  # another channel goes on meanwhile
        assert len(webhook_sink.requests) == 1 and not printing.done()
        drained = b""
        while b"NATO body" not in drained:
            drained += await asyncio.to_thread(os.read, read_end, 1 << 16)
        await printing

    try:
        asyncio.run(scenario())
    finally:
        monkeypatch.undo()
        stream.close()
        os.close(read_end)


def test_a_closed_stdout_is_a_failed_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = io.StringIO()
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    with pytest.raises(DeliveryError, match=r"^notify: channel 'terminal' failed: stdout://: "):
        send(Notifier({"terminal": ["stdout://"]}), "terminal", Message("t", "b"))


def test_unknown_channel_is_a_delivery_error() -> None:
    with pytest.raises(DeliveryError, match=r"^notify: unknown channel 'chat' \(configured: terminal\)"):
        send(Notifier({"terminal": ["stdout://"]}), "chat", Message("t", "b"))


def test_bad_url_is_rejected_when_the_notifier_is_built() -> None:
    with pytest.raises(ConfigError, match=r"channels\.chat: unsupported notification URL scheme 'tgramx://'"):
        Notifier({"chat": ["tgramx://123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/-100"]})


def test_apprise_log_lines_lose_known_secrets(caplog: pytest.LogCaptureFixture) -> None:
    secret = "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    Notifier({"chat": [f"tgram://123456789:{secret}/-1001234567890"]})
    caplog.set_level(logging.WARNING, logger="apprise")
    logging.getLogger("apprise").warning("Telegram said no to bot %s", f"123456789:{secret}")
    assert secret not in caplog.text and "bot ***" in caplog.text


def test_validation_speaks_once(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="apprise")
    problem = validate_channel_url("tgram://notatoken/-1001234567890")
    assert problem is not None and "Unparseable Telegram URL" in problem
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []  # no second, raw apprise line
