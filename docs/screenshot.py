"""Take docs/screenshot.png: the web view's overview (/) on the demo data, in headless Chromium.

    .venv/bin/python docs/screenshot.py [--out docs/screenshot.png] [--width 1100]

Serves the demo outlets (src/pantau/demo/site) on 127.0.0.1, runs `pantau run` on the demo's own config
plus a `web:` section, waits until every source was polled and every alert delivered, then photographs `/`
(the window, as a person first sees it) with the browser test's code (tests/support/browser.py, tests/support/newsroom.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.browser import chromium, missing  # noqa: E402
from support.newsroom import PantauRun  # noqa: E402

from pantau.demo import HERE as DEMO  # noqa: E402
from pantau.demo.server import SiteServer  # noqa: E402


def _json(url: str) -> object:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


def settled(base: str) -> bool:
    sources = _json(base + "/api/sources")
    alerts = _json(base + "/api/alerts?since=7d")["alerts"]  # type: ignore[index]
    polled = all(s["last_success"] for s in sources)  # type: ignore[union-attr]
    delivered = all(d["state"] == "delivered" for a in alerts for d in a["deliveries"])
    return bool(polled and alerts and delivered)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshot.png")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=860, help="the window: the picture shows what fits")
    args = parser.parse_args()
    if missing():
        sys.exit(f"screenshot: {missing()}")
    with tempfile.TemporaryDirectory(prefix="pantau-shot-") as folder, SiteServer(DEMO / "site") as base:
        config = Path(folder) / "config.yaml"
        config.write_text((DEMO / "config.yaml").read_text() + "\nweb:\n  listen: 127.0.0.1:0\n")
        env = {"PANTAU_DEMO_URL": base, "PANTAU_DEMO_DB": f"sqlite:///{folder}/demo.db"}
        with PantauRun(config, env) as service, chromium(args.width, args.height) as driver:
            deadline = time.monotonic() + 120
            while not settled(service.url) and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(30)  # "30 s ago" reads more like a running service than "just now"
            driver.get(service.url + "/")  # type: ignore[attr-defined]
            args.out.parent.mkdir(parents=True, exist_ok=True)
            driver.save_screenshot(str(args.out))  # type: ignore[attr-defined]
    print(f"saved {args.out}")


if __name__ == "__main__":
    main()
