"""/docs and /redoc work without internet: every script, style and icon they load is served by the service itself
(issue 13, item 6); /favicon.ico is the service's own icon (item 15)."""

from __future__ import annotations

import re

import pytest


def _resources(html: str) -> list[str]:
    """Every URL the page loads (scripts, styles, icons, fonts), wherever it is named."""
    pattern = r"""(?:src|href)\s*=\s*["']([^"']+)["']|url: ?['"]([^'"]+)['"]"""
    return [a or b for a, b in re.findall(pattern, html)]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_only_assets_the_service_serves(client, path: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "http://" not in page.text and "https://" not in page.text, "a page that fetches from the internet"
    urls = _resources(page.text)
    assert any(u.endswith(".js") for u in urls), urls
    for url in urls:
        assert url.startswith("/"), url
        asset = client.get(url)
        assert asset.status_code == 200 and len(asset.content) > 0, url


def test_swagger_ui_and_redoc_bundles_are_the_real_ones(client) -> None:  # type: ignore[no-untyped-def]
    swagger = client.get("/docs-assets/swagger-ui-bundle.js")
    assert swagger.status_code == 200 and "SwaggerUIBundle" in swagger.text[:2000]
    assert "javascript" in swagger.headers["content-type"]
    redoc = client.get("/docs-assets/redoc.standalone.js")
    assert redoc.status_code == 200 and "Redoc" in redoc.text[:2000]
    css = client.get("/docs-assets/swagger-ui.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/openapi.json").json()["info"]["title"] == "sanctrack"


def test_favicon_is_an_icon_of_the_service(client) -> None:  # type: ignore[no-untyped-def]
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # the ICO file header
