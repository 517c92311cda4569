"""The catalog in a real browser: Debian's Chromium driven by Playwright, from ``file://`` and
from ``lakeshelf ui``. Clicks from the lake to a dataset, a version and one of its inputs, opens
a comparison, checks what each shows against the registry, and fails on any console error or
any request that leaves the page's own origin. Screenshots go to ``$LAKESHELF_ARTIFACTS``
(default ``<repo>/.artifacts``)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from lakeshelf.registry import store
from lakeshelf.site import build_site, make_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("LAKESHELF_ARTIFACTS", Path(__file__).parents[2] / ".artifacts"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """A Chromium context with a fresh profile (``make browser`` installs Chromium)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: `make browser` installs it")
        pytest.skip(f"{CHROMIUM} is missing: run `make browser`")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


class Watched:
    """A page whose console errors and off-origin requests are collected."""

    def __init__(self, context, origin: str) -> None:
        self.page = context.new_page()
        self.origin = origin
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"site-{name}.png"), full_page=True)

    def check_clean(self) -> None:
        assert self.errors == []
        elsewhere = [u for u in self.requests if not u.startswith((self.origin, "data:"))]
        assert elsewhere == []
        self.page.close()


def row_texts(page, selector: str) -> list[str]:
    return [t.strip() for t in page.locator(selector).all_inner_texts()]


def test_static_site_clicks_through_lake_dataset_version_and_input(shop, browser, tmp_path):
    built = build_site(shop, tmp_path / "site")
    records = {(r.dataset, r.version): r for r in store.records(shop.lake_location)}
    tab = Watched(browser, "file://")
    page = tab.page
    page.goto(built.index.as_uri())
    assert row_texts(page, "#datasets a.dataset") == ["orders", "clean", "totals"]
    page.fill("#search", "gold")  # the search box filters by layer, name or tag
    assert page.locator("#datasets tbody tr:visible").count() == 1
    page.fill("#search", "")
    assert page.locator("#refused tbody tr").count() == 1
    tab.shot("lake")

    page.click("text=totals")
    page.wait_for_url("**/d/totals/index.html")
    assert page.locator("#versions tbody tr").count() == 2
    page.wait_for_selector("#timeline-chart .main-svg")  # plotly drew the timeline
    assert "trained-v1" in page.inner_text("#versions")
    tab.shot("dataset")

    page.click("#versions >> text=v1")
    page.wait_for_url("**/d/totals/v1.html")
    assert page.inner_text("#fingerprint") == records[("totals", 1)].fingerprint
    page.wait_for_selector("#lineage-chart .main-svg")
    assert row_texts(page, "#upstream a.input") == ["clean@1"]
    tab.shot("version")

    page.click("#upstream >> text=clean@1")  # through to the input version
    page.wait_for_url("**/d/clean/v1.html")
    assert page.inner_text("#fingerprint") == records[("clean", 1)].fingerprint
    assert row_texts(page, "#downstream a") == ["totals@1"]
    schema = row_texts(page, "#schema tbody td:first-child")
    assert schema == ["id", "customer", "amount"]
    page.wait_for_selector("#profile-charts .main-svg")
    # the browser binned each column's summary: 30 bars of shares summing to 1, top values
    # plus "other" for a category
    drawn = drawn_bars(page, "#profile-charts")
    assert len(drawn["amount"][0]["x"]) == 30
    assert sum(drawn["amount"][0]["y"]) == pytest.approx(1.0)
    assert drawn["customer"][0]["x"][-1] == "other"
    assert sum(drawn["customer"][0]["y"]) == pytest.approx(1.0)

    page.click("text=Compare with v0")
    page.wait_for_url("**/d/clean/compare/v0-v1.html")
    drifts = row_texts(page, "#drift tbody td:first-child")
    assert set(drifts) == {"id", "customer", "amount"}
    page.wait_for_selector("#compare-charts .main-svg")
    overlaid = drawn_bars(page, "#compare-charts")["amount"]
    assert [t["name"] for t in overlaid] == ["v0", "v1"]
    assert overlaid[0]["x"] == overlaid[1]["x"]  # one set of bins over both versions
    assert all(sum(t["y"]) == pytest.approx(1.0) for t in overlaid)
    tab.shot("compare")
    tab.check_clean()


def drawn_bars(page, holder: str) -> dict[str, list[dict]]:
    """The bar traces Plotly drew in each column chart under ``holder``, by column."""
    return page.evaluate(
        """holder => Object.fromEntries([...document.querySelectorAll(holder + " .column-chart")]
            .map(box => [box.id.slice(4), box.querySelector(".js-plotly-plot").data
                .map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))]))""",
        holder,
    )


def test_refused_publish_page_names_the_failure_and_where_its_files_are(shop, browser, tmp_path):
    built = build_site(shop, tmp_path / "site")
    tab = Watched(browser, "file://")
    tab.page.goto(built.index.as_uri())
    tab.page.click("#refused a")
    tab.page.wait_for_url("**/refused/*.html")
    kept = tab.page.inner_text("#kept-at")
    assert kept.startswith(shop.table("orders").uri) and "_refused" in kept
    assert os.path.isdir(kept)
    assert "expect_column_values_to_be_between" in tab.page.inner_text("#failures")
    assert "5000" in tab.page.inner_text("#failures")  # the example value
    tab.shot("refused")
    tab.check_clean()


def test_ui_serves_the_live_registry_and_compares_any_two_versions(
    shop, browser, spark, orders_batch
):
    from lakeshelf.pipeline import ingest

    server = make_server(shop, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    tab = Watched(browser, origin.rstrip("/"))
    try:
        tab.page.goto(origin)
        tab.page.click("text=orders")
        tab.page.wait_for_url("**/d/orders/index.html")
        assert tab.page.locator("#versions tbody tr").count() == 2
        orders_batch(shop.root, "4.csv", [(8, "fay", 12.0)])
        ingest(shop, "orders", spark=spark)
        tab.page.reload()  # a refresh shows the new version
        assert tab.page.locator("#versions tbody tr").count() == 3
        tab.page.select_option("#compare select[name=a]", "0")
        tab.page.select_option("#compare select[name=b]", "2")
        tab.page.click("#compare button")
        tab.page.wait_for_url(origin + "d/orders/compare/v0-v2.html")  # not consecutive: live
        assert "v0 and v2" in tab.page.inner_text("h1")
        tab.page.wait_for_selector("#compare-charts .main-svg")
        tab.shot("ui-compare")
        assert tab.page.goto(origin + "d/nope/").status == 404
        tab.errors = [e for e in tab.errors if "404" not in e]  # the one asked for
        tab.check_clean()
    finally:
        server.shutdown()
        server.server_close()
