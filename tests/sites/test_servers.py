"""The static site server and its scriptable test twin, exercised with real HTTP requests."""

from __future__ import annotations

import gzip
import http.client
import socket
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest
from support.site import BAD_PAGES, BOMB_INFLATED_BYTES, OVERSIZED_BYTES, ScriptedSite
from support.smtp import SmtpSink
from support.webhook import WebhookSink

from pantau.demo.server import PLACEHOLDER, SiteServer


def get(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def raw_get(base: str, path: str) -> int:
    """Send the path exactly as written (urllib would not keep every odd form)."""
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    site = tmp_path / "root"
    (site / "warta").mkdir(parents=True)
    (site / "warta" / "p1001").write_text("<html><body><p>Artikel</p></body></html>", encoding="utf-8")
    (site / "page.html").write_text(f'<a href="{PLACEHOLDER}/page.html">self</a>', encoding="utf-8")
    (site / "feed.xml").write_text(
        f"<rss><channel><link>{PLACEHOLDER}/</link></channel></rss>", encoding="utf-8"
    )
    (site / "feed.rss").write_text("<rss/>", encoding="utf-8")
    (site / "data.json").write_text("{}", encoding="utf-8")
    (site / "blob.bin").write_bytes(b"\x00\x01")
    (tmp_path / "secret.txt").write_text("not for the web", encoding="utf-8")
    return site


@pytest.fixture
def site(root: Path) -> Iterator[ScriptedSite]:
    server = ScriptedSite(root)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        pytest.param("/warta/p1001", "text/html; charset=utf-8", id="extension-less-is-html"),
        pytest.param("/page.html", "text/html; charset=utf-8", id="html"),
        pytest.param("/feed.xml", "application/xml; charset=utf-8", id="xml"),
        pytest.param("/feed.rss", "application/rss+xml; charset=utf-8", id="rss"),
        pytest.param("/data.json", "application/json", id="json"),
        pytest.param("/blob.bin", "application/octet-stream", id="unknown"),
    ],
)
def test_content_type_follows_the_file_name(site: ScriptedSite, path: str, content_type: str) -> None:
    status, headers, _ = get(site.url + path)
    assert (status, headers["Content-Type"]) == (200, content_type)


def test_placeholder_links_point_back_at_the_running_server(site: ScriptedSite) -> None:
    for path in ("/page.html", "/feed.xml"):
        body = get(site.url + path)[2].decode()
        assert PLACEHOLDER not in body
        assert site.url + "/" in body


@pytest.mark.parametrize(
    "path",
    ["/missing.html", "/../secret.txt", "/%2e%2e/secret.txt", "/warta/..%2f..%2fsecret.txt", "/warta/%00"],
)
def test_missing_files_and_paths_outside_the_root_are_404(site: ScriptedSite, path: str) -> None:
    assert raw_get(site.url, path) == 404


def test_conditional_requests_get_304_until_the_file_changes(site: ScriptedSite) -> None:
    url = site.url + "/warta/p1001"
    _, first, _ = get(url)
    assert get(url, {"If-None-Match": first["ETag"]})[0] == 304
    assert [r.status for r in site.requests("/warta/p1001")] == [200, 304]
    assert get(url, {"If-Modified-Since": first["Last-Modified"]})[0] == 304
    assert get(url, {"If-None-Match": '"other"', "If-Modified-Since": first["Last-Modified"]})[0] == 200
    assert get(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    assert get(url, {"If-Modified-Since": "not a date"})[0] == 200

    site.write("warta/p1001", "<html><body><p>Artikel yang diperbarui</p></body></html>")
    status, second, body = get(url, {"If-None-Match": first["ETag"]})
    assert (status, "diperbarui" in body.decode()) == (200, True)
    assert second["ETag"] != first["ETag"]
    assert get(url, {"If-Modified-Since": first["Last-Modified"]})[0] == 200


def test_touch_changes_validators_but_not_content(site: ScriptedSite) -> None:
    url = site.url + "/warta/p1001"
    _, before, body = get(url)
    site.touch("warta/p1001")
    status, after, again = get(url, {"If-None-Match": before["ETag"]})
    assert (status, again) == (200, body)
    assert after["ETag"] != before["ETag"]


def test_new_files_are_served_while_running(site: ScriptedSite) -> None:
    assert get(site.url + "/warta/p1007")[0] == 404
    site.write("/warta/p1007", "<p>baru</p>")
    assert get(site.url + "/warta/p1007")[0] == 200
    site.remove("warta/p1007")
    assert get(site.url + "/warta/p1007")[0] == 404


def test_head_sends_headers_only(site: ScriptedSite) -> None:
    status, headers, body = get(site.url + "/warta/p1001", method="HEAD")
    assert (status, body) == (200, b"")
    assert int(headers["Content-Length"]) > 0


def test_scripted_failures_run_out_or_last_until_cleared(site: ScriptedSite) -> None:
    url = site.url + "/warta/p1001"
    site.fail("/warta/p1001", 500, times=2)
    assert [get(url)[0] for _ in range(3)] == [500, 500, 200]

    site.fail("/warta/p1001", 429, times=None, headers={"Retry-After": "120"})
    answers = [get(url + "?page=2") for _ in range(3)]
    assert {(status, headers["Retry-After"]) for status, headers, _ in answers} == {(429, "120")}
    site.clear_failures()
    assert get(url)[0] == 200


def test_requests_are_recorded_with_their_conditional_headers(site: ScriptedSite) -> None:
    get(site.url + "/warta/p1001", {"User-Agent": "pantau-test", "If-None-Match": '"x"'})
    get(site.url + "/nothing")
    [served] = site.requests("/warta/p1001")
    assert (served.status, served.user_agent, served.if_none_match) == (200, "pantau-test", '"x"')
    assert [r.status for r in site.requests()] == [200, 404]


def test_nothing_is_written_to_stderr(site: ScriptedSite, capfd: pytest.CaptureFixture[str]) -> None:
    get(site.url + "/warta/p1001")
    get(site.url + "/missing")
    conn = http.client.HTTPConnection(site.url.removeprefix("http://"), timeout=10)
    conn.request("GET", "/bad/oversized")
    conn.getresponse().read(10)
    conn.close()  # hang up mid-body, as a size-capped client does
    site.stop()
    assert capfd.readouterr().err == ""


def test_bad_pages_are_all_listed() -> None:
    assert set(BAD_PAGES) == {
        "/bad/oversized",
        "/bad/gzip-bomb",
        "/bad/invalid-utf8.html",
        "/bad/truncated.html",
        "/bad/not-xml.rss",
        "/bad/hang",
        "/bad/drip",
        "/bad/redirect-loop",
    }


def test_bad_pages_are_bad_in_the_promised_way(site: ScriptedSite) -> None:
    status, headers, body = get(site.url + "/bad/oversized")
    assert (status, len(body)) == (200, int(headers["Content-Length"]))
    assert OVERSIZED_BYTES * 0.9 < len(body) <= OVERSIZED_BYTES

    conn = http.client.HTTPConnection(site.url.removeprefix("http://"), timeout=10)
    conn.request("GET", "/bad/gzip-bomb")
    response = conn.getresponse()
    wire = response.read()
    conn.close()
    assert response.getheader("Content-Encoding") == "gzip"
    assert len(wire) < 200_000
    assert len(gzip.decompress(wire)) >= BOMB_INFLATED_BYTES

    _, headers, body = get(site.url + "/bad/invalid-utf8.html")
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")

    text = get(site.url + "/bad/truncated.html")[2].decode()
    assert not text.rstrip().endswith(">")
    assert "</html>" not in text

    _, headers, body = get(site.url + "/bad/not-xml.rss")
    assert headers["Content-Type"].startswith("application/rss+xml")
    assert feedparser.parse(body).bozo

    assert raw_get(site.url, "/bad/redirect-loop") == 302


def test_failures_win_over_bad_pages_and_files(site: ScriptedSite) -> None:
    site.fail("/bad/hang", 503)
    assert get(site.url + "/bad/hang")[0] == 503


@pytest.mark.parametrize(
    ("path", "cut"),
    [("/bad/hang", http.client.RemoteDisconnected), ("/bad/drip", http.client.IncompleteRead)],
)
def test_stop_releases_requests_that_never_finish(root: Path, path: str, cut: type[Exception]) -> None:
    server = ScriptedSite(root)
    base = server.start()
    outcome: list[object] = []

    def client() -> None:
        try:
            outcome.append(get(base + path))
        except (OSError, http.client.HTTPException) as error:  # the server hangs up without a full answer
            outcome.append(error)

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    for _ in range(200):  # until the request is inside the server (at most ~10 s)
        if server.arrived(path):
            break
        thread.join(0.05)
    assert server.arrived(path) == 1
    server.stop()
    thread.join(10)
    assert not thread.is_alive()
    # the client was cut off mid-answer (before the headers, or in the body), not left waiting
    [error] = outcome
    assert type(error) is cut, repr(error)
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/warta/p1001", timeout=5)


def test_site_server_as_context_manager_gives_the_base_url(root: Path) -> None:
    with SiteServer(root) as base:
        assert base.startswith("http://127.0.0.1:")
        assert get(base + "/warta/p1001")[0] == 200
    with pytest.raises(OSError):
        urllib.request.urlopen(base + "/warta/p1001", timeout=5)


def test_copy_of_leaves_the_original_untouched(root: Path, tmp_path: Path) -> None:
    copy = ScriptedSite.copy_of(root, tmp_path / "copy")
    with copy as base:
        copy.write("warta/p1001", "<p>changed</p>")
        assert get(base + "/warta/p1001")[2] == b"<p>changed</p>"
    assert "Artikel" in (root / "warta" / "p1001").read_text(encoding="utf-8")


def test_a_malformed_request_gets_400_not_a_traceback(
    site: ScriptedSite, capfd: pytest.CaptureFixture[str]
) -> None:
    host, port = site.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /warta/p1001 NONSENSE\r\n\r\n")
        answer = sock.makefile("rb").read()
    assert b"Error code: 400" in answer
    assert [r.status for r in site.requests()] == [400]
    assert capfd.readouterr().err == ""


def test_receivers_fail_a_test_that_waits_in_vain() -> None:
    with (
        WebhookSink() as hook,
        pytest.raises(AssertionError, match=r"expected 1 requests within 0\.2 s, 0 arrived"),
    ):
        hook.wait_for(1, timeout=0.2)
    with (
        SmtpSink() as smtp,
        pytest.raises(AssertionError, match=r"expected 1 messages within 0\.2 s, 0 arrived"),
    ):
        smtp.wait_for(1, timeout=0.2)
