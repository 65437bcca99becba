"""/channels/ and /channels/statement.json: public, translated, no JavaScript, nothing
fetched from elsewhere, and plain words when nothing is signed yet."""

from __future__ import annotations

import re

from solidarity.channels import statement as fmt
from solidarity.channels.tests.conftest import ONION, sign


def test_before_anything_is_signed_the_page_says_so_and_the_file_is_404(client, org):
    response = client.get("/channels/")
    assert response.status_code == 200
    assert "has not published a signed list" in response.content.decode()
    assert client.get("/channels/statement.json").status_code == 404
    # ... and the footer of the public pages shows no fingerprint
    assert "key fingerprint" not in client.get("/").content.decode()


def test_the_page_shows_the_addresses_and_the_fingerprint_in_groups(client, coordinator):
    row = sign(coordinator)
    page = client.get("/channels/").content.decode()
    for group in row.signing_key.fingerprint.split(" "):
        assert f"<span>{group}</span>" in page
    assert "https://fund.example.org/" in page
    assert ONION in page
    assert "@FundHelpBot" in page
    assert 'href="/channels/statement.json"' in page
    assert "channels verify statement.json" in page
    # Everything the page loads comes from us, and it needs no script of its own
    assert not re.search(r'(src|href)="https?://(?!www\.wikipedia\.org)', page)
    assert "<script" not in page.replace(
        '<script src="/static/js/quick-exit.js" defer></script>', ""
    )
    # The browser's history shows a neutral title
    assert "<title>Addresses</title>" in page


def test_the_footer_of_public_pages_shows_the_fingerprint(client, coordinator):
    row = sign(coordinator)
    for path in ("/", "/apply/", "/status/"):
        page = client.get(path).content.decode()
        assert row.signing_key.fingerprint in page, path
        assert 'href="/channels/"' in page, path


def test_the_statement_downloads_exactly_as_signed(client, coordinator):
    row = sign(coordinator)
    response = client.get("/channels/statement.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    assert response.content == row.body.encode()
    assert fmt.parse_signed_file(response.content).statement.bots == ("@FundHelpBot",)


def test_the_newest_statement_is_the_current_one(client, coordinator):
    sign(coordinator)
    newer = sign(coordinator, new_key=True)
    page = client.get("/channels/").content.decode()
    assert client.get("/channels/statement.json").content == newer.body.encode()
    assert "Earlier keys" in page


def test_the_page_is_translated(client, coordinator):
    sign(coordinator)
    client.cookies["lang"] = "be"
    assert "Афіцыйныя адрасы" in client.get("/channels/").content.decode()
    client.cookies["lang"] = "ru"
    assert "Официальные адреса" in client.get("/channels/").content.decode()


def test_only_get_is_answered(client, org):
    assert client.post("/channels/").status_code == 405
    assert client.post("/channels/statement.json").status_code == 405
