"""The periodic summary line of `pantau run`: what happened in the period, in words that agree."""

from __future__ import annotations

from pantau.notify.outbox import DeliveryReport
from pantau.pipeline import PollResult
from pantau.service.summary import Summary
from pantau.store import SourceHealth


def test_one_of_each_is_singular_and_the_counts_start_again() -> None:
    summary = Summary()
    summary.poll(PollResult("wire", 1, 1, (), source_failed=False))
    summary.poll(PollResult("kyodo", 0, 0, ("fetch: HTTP 500 for https://kyodo.test/",), source_failed=True))
    summary.delivery(DeliveryReport(delivered=1, failed=2, errors=("x",), dead=1))
    health = [SourceHealth("kyodo", consecutive_failures=1), SourceHealth("wire")]
    assert summary.line("10m", 1, health) == (
        "last 10m: 2 polls (1 failed), 1 new article, 1 alert; 1 delivered, 1 will retry, 1 given up; "
        "1 delivery pending; failing sources: kyodo (1 poll in a row)"
    )
    assert summary.line("10m", 0, health[1:]) == (
        "last 10m: 0 polls, 0 new articles, 0 alerts; 0 delivered; 0 deliveries pending; no failing source"
    )


def test_a_store_that_does_not_answer_is_said_so() -> None:
    summary = Summary()
    summary.poll(PollResult("wire", 3, 2, (), source_failed=False))
    assert summary.line("1h", None, None) == (
        "last 1h: 1 poll, 3 new articles, 2 alerts; 0 delivered; "
        "store unavailable: pending deliveries and source health unknown"
    )
