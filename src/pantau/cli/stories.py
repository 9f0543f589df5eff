"""`pantau stories`: which outlets reported each recent story, so a user can check why a copy did not
alert (it joined a story that had alerted already)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pantau.cli.output import EXIT_OK, out, say
from pantau.clock import utc_now

if TYPE_CHECKING:
    from pantau.store import StorySummary


def cmd_stories(args: argparse.Namespace) -> int:
    from pantau.cli.commands import _config, _since, _when
    from pantau.store import Store

    config = _config(args)
    since = utc_now() - _since(args.since)
    with Store.open(config.database) as store:
        stories = store.stories_since(since, limit=args.limit)
    if not stories:
        say(f"no stories since {_when(since, config)}")
        return EXIT_OK
    for story in stories:
        say(out.bold(_headline(story)))
        for copy in story.copies:
            alerted = f"  alerted: {', '.join(copy.rules)}" if copy.rules else ""
            say(f"    {_when(copy.fetched_at, config)}  {copy.source}: {copy.title}{alerted}")
            say(out.dim(f"        {copy.url}"))
    return EXIT_OK


def _headline(story: StorySummary) -> str:
    outlets = len(story.sources)
    articles = len(story.copies)
    rules = sorted({rule for copy in story.copies for rule in copy.rules})
    alerts = f", alerted: {', '.join(rules)}" if rules else ", no alert"
    return (
        f"story {story.id}: {outlets} outlet{'s' * (outlets != 1)} ({', '.join(story.sources)}), "
        f"{articles} article{'s' * (articles != 1)}{alerts}"
    )
