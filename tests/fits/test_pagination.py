"""Lists paged by their ids first with a capped count (fits.pagination), through the incident list."""

from __future__ import annotations

import re

import pytest

from fits import pagination


@pytest.fixture
def seven(highfield, staff, log_incident):
    # Priorities 3, 3, 3, 2, 2, 2, 1 (impact x urgency): ties in the first sort column, broken by newest first.
    levels = [(3, 3), (3, 3), (3, 3), (2, 2), (2, 2), (2, 2), (1, 1)]
    return [
        log_incident(highfield, by=staff, title=f"Ticket {n}", impact=i, urgency=u) for n, (i, u) in enumerate(levels)
    ]


def listed(response) -> list[str]:
    return re.findall(r">(Ticket \d)<", response.content.decode())


def test_pages_by_ids_keep_the_lists_order_and_lose_no_row(seven, tech, client_for):
    client = client_for(tech)
    whole = listed(client.get("/incidents/?per_page=25"))
    assert len(whole) == 7
    pages = [listed(client.get(f"/incidents/?per_page=3&page={n}")) for n in (1, 2, 3)]
    assert [title for page in pages for title in page] == whole  # the same rows, in the same order, once each
    assert "of 7 incidents" in client.get("/incidents/?per_page=3").content.decode()


def test_a_long_list_says_how_far_it_counted(seven, tech, client_for, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    client = client_for(tech)
    page = client.get("/incidents/?per_page=2").content.decode()
    assert "4+ incidents" in page and "of 7" not in page
    # A page past the cap counts as far as itself, and its rows are there.
    assert listed(client.get("/incidents/?per_page=2&page=3")) == listed(client.get("/incidents/?per_page=25"))[4:6]
