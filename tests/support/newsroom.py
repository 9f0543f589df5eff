"""A newsroom for web-view tests: the demo outlets on a ScriptedSite, a config with a web section, a way to
publish a new wire article while pantau runs, and a `pantau run` subprocess that reports its web address.

    config = write_config(tmp_path, site, store_url, hook_url, password="pw")
    publish_wire(site, "cyber-drill", "NATO and Japan hold cyber drill", ["Paragraph.", "Paragraph."])
    with PantauRun(config) as service:       # waits for "web view on http://127.0.0.1:PORT"
        service.url                            # -> "http://127.0.0.1:PORT"
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

from support.site import ScriptedSite

CONFIG = """\
database: "{database}"
timezone: Asia/Jakarta
defaults: {{every: {every}, timeout: 5s, max_age: "off"}}  # the demo articles carry fixed November 2026 dates
channels:
  hook: "{hook}"
  down: "json://127.0.0.1:9/down"    # nothing listens there: deliveries stay pending, with a next attempt
web:
  listen: 127.0.0.1:0
{password}
sources:
  - name: warta
    url: "{base}/warta/index.html"
    link_pattern: '/p\\d+$'
    article: {{body: ".detail-content", drop: [".baca-juga", ".komentar"]}}
  - {{name: wire, url: "{base}/wire/index.html", links: "a[href*='/news/']"}}
  - {{name: feedsite, url: "{base}/feedsite/index.html"}}
  - {{name: gone, url: "{base}/gone/index.html"}}
concepts:
  nato: [NATO, OTAN, "North Atlantic Treaty Organization", "Pakta Pertahanan Atlantik Utara"]
  ip4: [IP4, AP4, "Indo-Pacific Four", "mitra Indo-Pasifik"]
  japan: [Japan, Japanese, Jepang, Tokyo]
  south_korea: ["South Korea", "Korea Selatan", Korsel, Seoul]
  australia: [Australia, Australian, Canberra]
  new_zealand: ["New Zealand", "Selandia Baru", Wellington]
  ukraine:
    en: [Ukraine, Ukrainian, Kyiv, Zelenskyy]
    id: [Ukraina, Kiev]
rules:
  - name: nato-indo-pacific
    match: '@nato AND (@ip4 OR @japan OR @south_korea OR @australia OR @new_zealand)'
    notify: [hook, down]
  - name: ukraine
    match: 'title:@ukraine OR (@ukraine AND (war OR perang OR aid OR bantuan))'
    notify: hook
"""


def write_config(
    folder: Path,
    site: ScriptedSite,
    database: str,
    hook: str,
    *,
    password: str | None = None,
    every: str = "1h",
) -> Path:
    path = folder / "config.yaml"
    text = CONFIG.format(
        database=database,
        hook=hook,
        base=site.url,
        every=every,
        password=f'  password: "{password}"' if password else "",
    )
    path.write_text(text, encoding="utf-8")
    return path


def publish_wire(site: ScriptedSite, slug: str, title: str, paragraphs: list[str]) -> str:
    """A new article on the wire outlet, listed first on its index page; returns its path. The title and
    paragraphs are text: markup in them is escaped, so it reaches pantau as the characters `<`, `>`."""
    path = f"wire/news/2026/11/{slug}.html"
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    title = html.escape(title)
    site.write(
        path,
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} | Wire News</title></head><body>\n<article><h1>{title}</h1>\n"
        f"<p class='time'>Nov 21, 2026 | 09:00 JST</p>\n{body}\n</article>\n</body></html>\n",
    )
    index = (site.root / "wire" / "index.html").read_text(encoding="utf-8")
    link = f'<li class="article-item"><a href="/{path}"><h3>{title}</h3></a></li>\n'
    site.write(
        "wire/index.html", index.replace('<ul class="article-list">', '<ul class="article-list">' + link, 1)
    )
    return "/" + path


class PantauRun:
    """`pantau run --config CONFIG` in a subprocess; `url` is its web view once it listens."""

    def __init__(self, config: Path, env: dict[str, str] | None = None) -> None:
        self.config = config
        self.env = {**os.environ, "NO_COLOR": "1", **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.url = ""
        self.log: list[str] = []
        self._reader: threading.Thread | None = None

    def __enter__(self) -> PantauRun:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pantau", "run", "--config", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + 60
        while not self.url and time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
            for line in list(self.log):
                found = re.search(r"web view on (http://\S+)", line)
                if found:
                    self.url = found.group(1)
        if not self.url:
            self.stop()
            raise AssertionError("pantau run did not start its web view:\n" + "".join(self.log))
        return self

    def _read(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)

    def wait_for_log(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in self.log):
                return
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared in the log:\n" + "".join(self.log))

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)
        return self.process.returncode

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
