"""GET /healthz: `ok` while the scheduler runs and the store answers, else 503 and one line saying why."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from support.running import running
from support.tcpproxy import TcpProxy

from pantau.config import load_config
from pantau.store import Store

CONFIG = 'database: "{db}"\nworkers: 0\n'


def test_healthz_says_ok_then_why_not(tmp_path: Path, pg_store_url: str) -> None:
    with TcpProxy("127.0.0.1", 5432) as proxy:
        url = pg_store_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
        (tmp_path / "config.yaml").write_text(CONFIG.format(db=url))
        config = load_config(tmp_path / "config.yaml")

        async def scenario() -> list[tuple[int, str]]:
            seen = []
            with Store.open(config.database) as store:
                async with running(config, store) as run, httpx.AsyncClient(base_url=run.base) as client:

                    async def ask() -> None:
                        answer = await client.get("/healthz")
                        seen.append((answer.status_code, answer.text))

                    await ask()
                    proxy.cut()  # no poll or delivery has met it yet: /healthz asks the store itself
                    await ask()
                    proxy.restore()
                    await ask()
                    await run.stop()
                    await ask()
            return seen

        seen = asyncio.run(scenario())
    assert seen == [
        (200, "ok"),
        (503, "store: database unavailable (connection refused)"),
        (200, "ok"),
        (503, "stopping"),
    ]
