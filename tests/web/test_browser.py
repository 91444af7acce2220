"""The pages in a real browser: headless Chromium from Debian's ``chromium`` package, driven by
Selenium through Debian's ``chromium-driver`` (``.ci/run`` installs both when missing)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from icalendar import Calendar
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.web.threaded import ThreadedSite

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None or CHROMEDRIVER is None,
        reason="needs Debian's chromium and chromium-driver (apt install chromium chromium-driver)",
    ),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedSite]:
    with ThreadedSite("sqlite", tmp_path_factory.mktemp("browser"), base_url="http://127.0.0.1") as site:
        yield site


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=412,915",
        "--lang=en-US",
    ):  # a phone's width
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(tmp_path), "download.prompt_for_download": False,
                  "intl.accept_languages": "en-US,en"},
    )  # fmt: skip
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    try:
        yield driver
    finally:
        driver.quit()


def url(site: ThreadedSite, path: str) -> str:
    return f"http://127.0.0.1:{site.port}{path}"


def search(browser: webdriver.Chrome, site: ThreadedSite, text: str) -> list[str]:
    browser.get(url(site, "/parks"))
    box = browser.find_element(By.ID, "q")
    box.clear()
    box.send_keys(text)
    box.submit()
    links = browser.find_elements(By.CSS_SELECTOR, "ul.parks li a")
    return [str(link.get_attribute("href")).rsplit("/", 1)[-1] for link in links]


def test_the_directory_finds_a_park_by_its_chinese_name_and_by_a_typo(
    browser: webdriver.Chrome, site: ThreadedSite
) -> None:
    assert "zhongguancun" in search(browser, site, "中关村")
    assert search(browser, site, "Zhongguancn Scince Park")[0] == "zhongguancun"
    # The page fits a phone: nothing wider than the window.
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_switching_the_language_is_remembered(browser: webdriver.Chrome, site: ThreadedSite) -> None:
    browser.get(url(site, "/parks"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Park directory"
    browser.find_element(By.CSS_SELECTOR, 'a[hreflang="zh-CN"]').click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "园区名录"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-Hans"
    browser.get(url(site, "/workshops"))  # the cookie, not the link, says Chinese now
    assert browser.find_element(By.TAG_NAME, "h1").text == "研讨会"
    browser.find_element(By.CSS_SELECTOR, 'a[hreflang="en"]').click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "Workshops"


def test_a_workshop_downloads_its_calendar_event(
    browser: webdriver.Chrome, site: ThreadedSite, tmp_path: Path
) -> None:
    browser.get(url(site, "/workshops"))
    browser.find_element(By.CSS_SELECTOR, f'a[href="/workshops/{site.workshop.id}"]').click()
    assert browser.find_element(By.TAG_NAME, "h1").text == site.workshop.title
    browser.find_element(By.CSS_SELECTOR, f'a[href="/workshops/{site.workshop.id}.ics"]').click()
    target = tmp_path / f"workshop-{site.workshop.id}.ics"
    for _ in range(100):
        if target.is_file() and not list(tmp_path.glob("*.crdownload")):
            break
        time.sleep(0.1)
    calendar = Calendar.from_ical(target.read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART").astimezone(UTC) == site.workshop.starts_at


def test_an_unknown_address_is_a_404_page(browser: webdriver.Chrome, site: ThreadedSite) -> None:
    browser.get(url(site, "/parks/no-such-park"))
    assert browser.find_element(By.TAG_NAME, "h1").text == "Page not found"
    assert "No park has this address" in browser.find_element(By.CSS_SELECTOR, "p.notice").text
    browser.find_element(By.LINK_TEXT, "Back to the home page").click()
    assert browser.current_url == url(site, "/")
