"""The debug and inspection commands, as a user runs them: output, exit status, no tracebacks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from support.site import ScriptedSite
from support.store import place, sample_article
from support.webhook import WebhookSink

from pantau.cli import run_cli
from pantau.demo.server import DEMO_SITE
from pantau.store import Store

WARTA_P1002 = DEMO_SITE / "warta" / "p1002"
WIRE_JAPAN = (
    DEMO_SITE / "wire" / "news" / "2026" / "11" / "japan-pledges-aid-to-help-ukraine-through-winter.html"
)

CONFIG = """\
database: sqlite:///{db}
channels:
  hook: {hook}
  dead: json://127.0.0.1:9/nothing-listens-here
concepts:
  nato: [NATO, OTAN]
  japan: [Japan, Jepang]
  ukraine: {{en: [Ukraine, Kyiv], id: [Ukraina, Kiev]}}
rules:
  - {{name: r, match: '@nato AND @japan', notify: hook}}
"""


@pytest.fixture
def config(tmp_path: Path, hook: WebhookSink) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(db=tmp_path / "p.db", hook=hook.url()))
    return path


def test_extract_json_has_the_promised_keys_in_input_order(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["extract", str(WIRE_JAPAN), str(WARTA_P1002), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [set(r) for r in rows] == [{"url", "title", "published", "author", "lang", "body"}] * 2
    assert rows[0]["title"].startswith("Japan pledges $450 million")
    assert rows[0]["published"].startswith("2026-11-18T02:05")
    assert rows[1]["lang"] == "id" and "Ukraina" in rows[1]["title"]


def test_extract_shows_only_the_article(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["extract", str(DEMO_SITE / "warta" / "p1003")]) == 0
    shown = capsys.readouterr().out
    assert "Rupiah" in shown
    assert "NATO" not in shown  # only in its menu, "Baca juga" box, sidebar and comments


def test_extract_unreadable_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["extract", str(tmp_path / "missing.html")]) == 2
    err = capsys.readouterr().err
    assert "missing.html: cannot read" in err and "Traceback" not in err


def test_extract_page_without_article_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "empty.html"
    page.write_text("<html><head><script>var x = 1;</script></head><body></body></html>")
    assert run_cli(["extract", str(page)]) == 1
    assert "no article found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("query", "title", "status"),
    [
        ("@nato AND @japan", "NATO dan Jepang sepakat", 0),
        ("@nato AND @japan", "NATO bertemu Korea", 1),
        ("NATO", "Pelatih Renato puas", 1),
        ("title:@ukraine", "Ukrainanya menolak", 0),
    ],
)
def test_test_rule_exit_status(
    config: Path, query: str, title: str, status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["test-rule", query, "--title", title, "-c", str(config)]) == status
    first = capsys.readouterr().out.splitlines()[0]
    assert first == ("match" if status == 0 else "no match")


def test_test_rule_warns_about_a_lower_case_operator_between_terms(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["test-rule", "NATO or Japan", "--title", "NATO or Japan", "-c", str(config)]) == 0
    err = capsys.readouterr().err
    assert "warning: `or` is searched as a word: did you mean OR?" in err
    assert run_cli(["test-rule", "NATO OR Japan", "--title", "NATO", "-c", str(config)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_test_rule_on_a_stored_article_says_no_match(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Store.open(f"sqlite:///{config.parent / 'p.db'}") as store:
        place(store, sample_article("https://wire.test/news/7"))
    assert run_cli(["test-rule", "Ukraine", "--article", "https://wire.test/news/7", "-c", str(config)]) == 1
    assert capsys.readouterr().out.splitlines() == ["no match #1 https://wire.test/news/7"]
    assert run_cli(["test-rule", "NATO", "--article", "https://wire.test/news/7", "-c", str(config)]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "match #1 https://wire.test/news/7"


def test_test_rule_with_nothing_to_test_is_a_usage_error(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["test-rule", "NATO", "-c", str(config)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "nothing to test the query on" in captured.err and "--text-file" in captured.err


def test_test_rule_reads_the_body_from_a_file(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "Sekjen NATO menyambut Jepang di Brussel."
    f = config.parent / "body.txt"
    f.write_text(body)
    assert run_cli(["test-rule", "@nato AND @japan", "--text-file", str(f), "-c", str(config)]) == 0
    out = capsys.readouterr().out
    assert "body[" in out and "NATO" in out


def test_test_rule_bad_query_points_at_the_column(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["test-rule", "NATO AND (Japan OR", "-c", str(config)]) == 2
    err = capsys.readouterr().err
    assert "column" in err and "^" in err and "Traceback" not in err


def test_test_notify_delivers_or_fails_clearly(
    config: Path, hook: WebhookSink, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["test-notify", "hook", "-c", str(config)]) == 0
    [request] = hook.wait_for(1)
    assert "test" in request.json["title"]
    assert run_cli(["test-notify", "dead", "-c", str(config)]) == 1
    assert "notify: channel 'dead' failed" in capsys.readouterr().err
    assert run_cli(["test-notify", "nope", "-c", str(config)]) == 2


def test_once_with_an_unknown_source_is_a_usage_error(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["once", "--source", "kyodo", "-c", str(config)]) == 2
    assert "no source named 'kyodo'" in capsys.readouterr().err


def test_missing_config_is_exit_2_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["check", "-c", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "config file not found" in err and "--config" in err


def test_config_comes_from_the_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PANTAU_CONFIG", str(config))
    assert run_cli(["check"]) == 0
    assert "config OK" in capsys.readouterr().out


def test_sources_and_alerts_on_an_empty_store(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["sources", "-c", str(config)]) == 0
    assert run_cli(["alerts", "-c", str(config)]) == 0
    assert "no alerts since" in capsys.readouterr().out
    assert run_cli(["alerts", "--since", "yesterday", "-c", str(config)]) == 2


def test_help_lists_every_contract_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run_cli(["--help"])
    shown = capsys.readouterr().out
    # the command list: one command per line, indented, then its help (prose mentioning "run" is no proof)
    listed = set(re.findall(r"^    ([a-z][a-z-]*) ", shown, re.M))
    contract = {"check", "once", "run", "demo", "extract", "test-rule", "test-notify", "sources", "alerts"}
    assert contract <= listed, contract - listed


def test_demo_runs_offline_and_shows_the_alerts(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["demo"]) == 0
    out = capsys.readouterr().out
    assert "7 alerts from 17 articles" in out
    assert "[nato-indo-pacific] warta: NATO Undang Jepang" in out
    # wire and feedsite carry the same story: whichever was read first alerts, the other is named
    assert re.search(
        r"(wire|feedsite): Japan pledges \$450 million .* \(also reported by (feedsite|wire)\)", out
    )


ONCE_CONFIG = """\
database: sqlite:///{db}
defaults: {{max_age: "off"}}  # the demo outlets' articles are dated November 2026
channels: {{hook: "{hook}"}}
{extra}
sources:
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
concepts:
  nato: [NATO]
rules:
  - {{name: nato, match: '@nato', notify: hook}}
"""


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", r"delivered 0, (\d+) will retry \(`pantau alerts` shows when\)"),
        (
            "delivery: {max_attempts: 1}",
            r"delivered 0, (?:\d+ will retry \(`pantau alerts` shows when\), )?(\d+) given up \(`pantau alerts --failed`\)",
        ),
    ],
    ids=["will-retry", "given-up"],
)
def test_once_says_will_retry_or_given_up_never_just_failed(
    tmp_path: Path,
    site: ScriptedSite,
    hook: WebhookSink,
    capsys: pytest.CaptureFixture[str],
    extra: str,
    expected: str,
) -> None:
    hook.statuses = [500] * 20
    config = tmp_path / "config.yaml"
    config.write_text(ONCE_CONFIG.format(db=tmp_path / "p.db", hook=hook.url(), base=site.url, extra=extra))
    assert run_cli(["once", "-c", str(config)]) == 0
    err = capsys.readouterr().err
    [summary] = [line for line in err.splitlines() if line.startswith("delivered ")]
    found = re.fullmatch(expected, summary)
    assert found and int(found.group(1)) >= 1, err
    assert "failed" not in summary.replace("--failed", "")  # the option's name is no verdict
    assert run_cli(["alerts", "--failed", "-c", str(config)]) == 0
    listed = capsys.readouterr().out
    if extra:
        assert f"{found.group(1)} deliver" in listed.splitlines()[-1] and "given up" in listed
    else:
        assert listed.startswith("no deliveries given up")
