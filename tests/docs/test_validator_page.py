"""The validator page, in real headless Chromium, running ocpp201 in Pyodide.

The site is built with the validator assets (Pyodide from the npm registry, the
wheels of ocpp201 and its dependencies) and served from 127.0.0.1; the page must
start, show a valid frame as valid and an invalid one with every problem, its JSON
path, its code and the CALLERROR a receiver answers -- without any other network
access. Only when the package registries cannot be reached is the test skipped.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from codegen.site import SiteError, assemble_validator

ROOT = Path(__file__).resolve().parent.parent.parent
CACHE = Path(os.environ.get("OCPP201_SITE_CACHE", ROOT / "build" / "site-cache"))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
UNREACHABLE = (
    "ENOTFOUND",
    "EAI_AGAIN",
    "ETIMEDOUT",
    "ECONNREFUSED",
    "ECONNRESET",
    "network",
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Could not find a version",
    "No matching distribution",
)
VALID = (
    '[2,"1","BootNotification",{"reason":"PowerUp",'
    '"chargingStation":{"model":"M","vendorName":"V"}}]'
)
INVALID = '[2,"7","BootNotification",{"reason":"Foo","chargingStation":{"model":"M"}}]'


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def served_site(built_site: Path) -> Iterator[str]:
    try:
        assemble_validator(built_site, CACHE)
    except SiteError as exc:
        if any(hint in str(exc) for hint in UNREACHABLE):
            pytest.skip(f"the package registries are unreachable: {exc}")
        raise
    handler = functools.partial(_Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1400",
    ):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def _validate(browser: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    box = browser.find_element(By.ID, "v-input")
    browser.execute_script("arguments[0].value = arguments[1];", box, text)
    browser.find_element(By.ID, "v-validate").click()
    return browser.find_element(By.ID, "v-output")


def test_the_page_validates_frames_in_the_browser(
    served_site: str, browser: Any
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    browser.get(f"{served_site}/validator/")
    status = browser.find_element(By.ID, "v-status")
    WebDriverWait(browser, 90).until(lambda _: status.get_attribute("data-ready"))
    assert status.get_attribute("data-ready") == "true", status.text
    assert "running in Pyodide" in status.text

    output = _validate(browser, VALID)
    assert output.get_attribute("data-valid") == "true"
    assert "1 message(s): 1 valid, 0 invalid" in output.text

    output = _validate(browser, INVALID)
    assert output.get_attribute("data-valid") == "false"
    assert "0 valid, 1 invalid" in output.text
    rows = [
        [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        for row in output.find_elements(By.CSS_SELECTOR, "table.v-problems tr")
    ][1:]
    assert rows == [
        ["$.reason", "PropertyConstraintViolation",
         "'Foo' is not a valid BootReasonEnumType"],
        ["$.chargingStation.vendorName", "OccurrenceConstraintViolation",
         "required property 'vendorName' is missing"],
    ]  # fmt: skip
    answer = output.find_element(By.CSS_SELECTOR, "pre.v-answer").text
    assert answer.startswith('[4,"7","PropertyConstraintViolation",')

    # The builder: an action's example, validated as it is.
    Select(browser.find_element(By.ID, "v-action")).select_by_visible_text("Heartbeat")
    browser.find_element(By.ID, "v-example").click()
    text = browser.find_element(By.ID, "v-input").get_attribute("value")
    assert text == '[2,"19223201","Heartbeat",{}]'
    browser.find_element(By.ID, "v-validate").click()
    assert output.get_attribute("data-valid") == "true"

    # Nothing was fetched from anywhere but the site itself.
    failures = [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "127.0.0.1" not in entry["message"]
    ]
    assert not failures, failures
