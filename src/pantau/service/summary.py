"""The periodic one-line summary `pantau run` logs, so that an operator reading the journal sees it is
alive and what it did: polls, new articles, alerts, deliveries, and what is pending or failing.

Counts are kept for the current period only and start again after each line. Pure bookkeeping: the
service feeds it what its jobs return and asks the store for the two figures that live there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pantau.notify.outbox import DeliveryReport
from pantau.pipeline import PollResult
from pantau.store import SourceHealth
from pantau.words import count


@dataclass
class Summary:
    polls: int = 0
    failed_polls: int = 0
    new_articles: int = 0
    alerts: int = 0
    delivered: int = 0
    will_retry: int = 0
    given_up: int = 0

    def poll(self, result: PollResult) -> None:
        self.polls += 1
        self.failed_polls += result.source_failed
        self.new_articles += result.new_articles
        self.alerts += result.alerts

    def delivery(self, report: DeliveryReport) -> None:
        self.delivered += report.delivered
        self.will_retry += report.failed - report.dead
        self.given_up += report.dead

    def line(self, period: str, pending: int | None, health: Sequence[SourceHealth] | None) -> str:
        """The summary of the period that ends now (pending and health None: the store did not answer);
        the counts start again."""
        polls = count(self.polls, "poll") + (f" ({self.failed_polls} failed)" if self.failed_polls else "")
        parts = [polls, count(self.new_articles, "new article"), count(self.alerts, "alert")]
        sent = f"{self.delivered} delivered"
        if self.will_retry:
            sent += f", {self.will_retry} will retry"
        if self.given_up:
            sent += f", {self.given_up} given up"
        if pending is None or health is None:
            state = "store unavailable: pending deliveries and source health unknown"
        else:
            failing = [h for h in health if h.consecutive_failures]
            named = ", ".join(f"{h.name} ({count(h.consecutive_failures, 'poll')} in a row)" for h in failing)
            state = f"{count(pending, 'delivery', 'deliveries')} pending; " + (
                f"failing sources: {named}" if failing else "no failing source"
            )
        for name in self.__dataclass_fields__:
            setattr(self, name, 0)
        return f"last {period}: {', '.join(parts)}; {sent}; {state}"
