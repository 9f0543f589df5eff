"""`pantau demo`: the whole pipeline on bundled sample outlets served from 127.0.0.1. No network, no secrets.

The outlets live in site/ and the demo's config in config.yaml; the store is a throwaway SQLite file.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from pantau.clock import utc_now
from pantau.config import Config, load_config
from pantau.demo.server import SiteServer
from pantau.models import Alert
from pantau.service.once import PassResult, run_once
from pantau.store import Store

HERE = Path(__file__).parent


def run_demo() -> tuple[Config, PassResult, list[Alert]]:
    with tempfile.TemporaryDirectory(prefix="pantau-demo-") as folder, SiteServer(HERE / "site") as base:
        env = {**os.environ, "PANTAU_DEMO_URL": base, "PANTAU_DEMO_DB": f"sqlite:///{folder}/demo.db"}
        config = load_config(HERE / "config.yaml", env)
        with Store.open(config.database) as store:
            result = asyncio.run(run_once(config, store, utc_now))
            alerts = [alert for alert, _ in store.alerts_since(datetime(2000, 1, 1, tzinfo=UTC))]
    return config, result, alerts
