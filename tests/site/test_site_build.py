"""``lakeshelf site build`` and the pages' content, checked against the registry (no browser)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from helpers import run
from lakeshelf.registry import store
from lakeshelf.site import build_site
from lakeshelf.site.pages import route


def test_site_build_writes_every_page_from_the_registry(shop, tmp_path, monkeypatch, capsys):
    out = tmp_path / "site"
    code, stdout, err = run(
        monkeypatch, capsys, "site", "build", "--out", str(out), "--conf", str(shop.conf_dir)
    )
    assert code == 0, err
    assert out.joinpath("index.html").as_uri() in stdout
    records = store.records(shop.lake_location)
    for record in records:  # every published version has its page with its fingerprint
        page = (out / "d" / record.dataset / f"v{record.version}.html").read_text()
        assert record.fingerprint in page
    # consecutive comparisons and the refused publish
    assert (out / "d" / "orders" / "compare" / "v0-v1.html").exists()
    refused = list((out / "d" / "orders" / "refused").glob("*.html"))
    assert len(refused) == 1 and "expect_column_values_to_be_between" in refused[0].read_text()
    assert {p.name for p in (out / "assets").iterdir()} == {
        "site.css",
        "site.js",
        "plotly.min.js",
    }


def test_pages_load_nothing_from_elsewhere_and_show_no_secret(shop, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cr3t-never-shown")
    built = build_site(shop, tmp_path / "site")
    for page in built.out.rglob("*.html"):
        text = page.read_text()
        assert "s3cr3t-never-shown" not in text
        for link in re.findall(r'(?:src|href)="([^"#]+)"', text):
            assert not re.match(r"[a-z]+://", link) or link.startswith("data:"), (page, link)
            assert not link.startswith("//"), (page, link)


def test_lake_page_lists_latest_versions_tags_and_the_refused_publish(shop, tmp_path):
    built = build_site(shop, tmp_path / "site")
    lake = built.index.read_text()
    for name, latest in (("orders", 1), ("clean", 1), ("totals", 1)):
        assert f'href="d/{name}/v{latest}.html">v{latest}</a>' in lake
    assert "trained-v1" in lake
    assert "failed expectation(s) of orders" in lake


def test_version_page_draws_lineage_both_ways_and_embeds_its_profile(shop, tmp_path):
    built = build_site(shop, tmp_path / "site")
    page = (built.out / "d" / "clean" / "v1.html").read_text()
    graph = json.loads(re.search(r'id="lineage-data">(.*?)</script>', page, re.S)[1])
    labels = {n["label"] for n in graph["nodes"]}
    assert labels == {"orders@1", "clean@1", "totals@1"}
    assert len(graph["edges"]) == 2
    profile = json.loads(re.search(r'id="profile-data">(.*?)</script>', page, re.S)[1])
    assert set(profile) == {"id", "customer", "amount"}
    # each column's summary, binned in the browser: 65 quantiles from the exact minimum to the
    # exact maximum, or the top values with the rest counted as other
    stored = {p.column: p for p in store.profiles(shop.lake_location, "clean", {1})}
    quantiles = profile["amount"]["q"]
    assert len(quantiles) == 65 and quantiles == sorted(quantiles)
    assert quantiles[0] == stored["amount"].metric("min")
    assert quantiles[-1] == stored["amount"].metric("max")
    customer = profile["customer"]
    assert customer["kind"] == "categorical" and customer["other"] == stored["customer"].other_count
    assert [tuple(t) for t in customer["top"]] == stored["customer"].top


def test_a_folder_with_other_content_is_never_written_into(shop, tmp_path, monkeypatch, capsys):
    (tmp_path / "mine.txt").write_text("keep me")
    code, _, err = run(
        monkeypatch, capsys, "site", "build", "--out", str(tmp_path), "--conf", str(shop.conf_dir)
    )
    assert code == 2 and "not empty" in err
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_building_the_site_starts_no_spark(shop, tmp_path):
    script = (
        "import sys; from lakeshelf.site import build_site; "
        f"build_site({str(shop.conf_dir)!r}, {str(tmp_path / 'site')!r}); "
        "print('pyspark' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("", "lake"),
        ("index.html", "lake"),
        ("d/orders/", "dataset"),
        ("d/orders/v3.html", "version"),
        ("d/orders/compare/v0-v3.html", "compare"),
        ("d/orders/refused/ab12.html", "refused"),
        ("d/../etc/passwd", None),
    ],
)
def test_routes(path, kind):
    found = route(path)
    assert (found.kind if found else None) == kind


def test_a_build_by_one_process_per_core_writes_the_pages_one_process_writes(
    shop, tmp_path, monkeypatch
):
    """Large lakes are built by spawned workers (each reading the registry once): the same
    pages as a build in one process, the footer's build time aside."""
    from lakeshelf.site import build as builder

    serial = build_site(shop, tmp_path / "serial")
    monkeypatch.setattr(builder, "PARALLEL_FROM", 0)
    parallel = build_site(shop, tmp_path / "parallel")
    assert parallel.pages == serial.pages

    def pages(root):
        footer = re.compile(r"<footer>Built [^<]*</footer>")
        return {
            str(p.relative_to(root)): footer.sub("", p.read_text()) for p in root.rglob("*.html")
        }

    assert pages(parallel.out) == pages(serial.out)
