"""What a person does in a real browser (headless Debian Chromium, driven by selenium) against a real
`pantau run` serving a real store and the local news site: opens /, sees a new alert appear after a poll
(without reloading: htmx refreshes the list), follows it to its story, types a query into /try and sees the
hits. Screenshots of every page go to the test's tmp folder (also at phone width)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from support.browser import chromium, missing, save_page
from support.newsroom import PantauRun, publish_wire, write_config
from support.site import ScriptedSite
from support.webhook import WebhookSink

if missing() is not None and os.environ.get("CI"):
    raise RuntimeError(f"the browser test cannot run in CI: {missing()}")  # .ci/run installs Chromium
pytestmark = pytest.mark.skipif(missing() is not None, reason=str(missing()))

NEW_TITLE = "NATO and New Zealand agree on a maritime patrol plan"


def test_a_person_watches_an_alert_arrive_reads_its_story_and_tries_a_query(
    tmp_path: Path, site: ScriptedSite, hook: WebhookSink
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    shots = tmp_path / "screenshots"
    config = write_config(tmp_path, site, f"sqlite:///{tmp_path / 'p.db'}", hook.url(), every="2s")
    with PantauRun(config) as service, chromium() as driver:
        hook.wait_for(1, timeout=60)
        driver.get(service.url + "/")
        assert "NATO chief seeks deeper ties with Japan" in driver.page_source
        cards = driver.find_elements(By.CSS_SELECTOR, ".source-card")
        assert "failing" in cards[0].get_attribute("class") and "gone" in cards[0].text
        assert cards[0].value_of_css_property("border-left-color") == "rgba(198, 40, 40, 1)"  # red
        save_page(driver, shots / "overview.png")

        publish_wire(site, "patrol-plan", NEW_TITLE, ["NATO and New Zealand agreed on joint patrols."])
        WebDriverWait(driver, 45, poll_frequency=0.5).until(
            lambda d: NEW_TITLE in d.find_element(By.CSS_SELECTOR, "section.latest").text
        )
        assert driver.current_url == service.url + "/"  # it appeared in place, no reload by the test
        first = driver.find_element(By.CSS_SELECTOR, "section.latest li.alert")
        assert NEW_TITLE in first.text  # newest first
        save_page(driver, shots / "overview-new-alert.png")

        first.find_element(By.CSS_SELECTOR, "a.story").click()
        WebDriverWait(driver, 15).until(lambda d: "/stories/" in d.current_url)
        assert driver.find_element(By.TAG_NAME, "h1").text == NEW_TITLE
        assert "wire" in driver.find_element(By.CSS_SELECTOR, "li.copy .source").text
        assert "nato-indo-pacific" in driver.find_element(By.CSS_SELECTOR, "li.copy .rule").text
        save_page(driver, shots / "story.png")

        driver.get(service.url + "/try")
        box = driver.find_element(By.NAME, "q")
        box.send_keys("@nato AND (Zealand OR Jepang)")
        box.send_keys(Keys.ENTER)
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "ul.hits li.hit"))
        marked = {m.text for m in driver.find_elements(By.TAG_NAME, "mark")}
        assert {"NATO", "Zealand", "Jepang"} <= marked
        assert "would have matched" in driver.find_element(By.CSS_SELECTOR, "p.summary").text
        save_page(driver, shots / "try.png")

        box = driver.find_element(By.NAME, "q")
        box.clear()
        box.send_keys('NATO AND ("Japan"')
        box.send_keys(Keys.ENTER)
        WebDriverWait(driver, 15).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".problem"))
        assert "column" in driver.find_element(By.CSS_SELECTOR, ".problem").text
        save_page(driver, shots / "try-error.png")

        for name in ("alerts", "sources"):
            driver.get(f"{service.url}/{name}")
            save_page(driver, shots / f"{name}.png")
        driver.set_window_size(390, 844)  # a phone
        for name, path in (("phone-overview", "/"), ("phone-sources", "/sources")):
            driver.get(service.url + path)
            width = driver.execute_script("return document.documentElement.scrollWidth")
            assert width <= 390, f"{path} scrolls sideways on a phone ({width} px)"
            save_page(driver, shots / f"{name}.png")
    assert len(list(shots.glob("*.png"))) == 9
