"""The workbench (issue 4, part 7): queues with live counts, filters, paging, live updates, keys.

The tickets are made through the services, as the product makes them; only what no service sets yet
in these tests (a backdated ticket, a major incident flag) is written directly.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cmdb import services as cmdb
from fits.models import Membership, Role
from incidents import services
from incidents.models import Category, HoldReason, Impact, Incident, SupportGroup, TicketKind
from servicedesk import workbench
from tests.conftest import make_person

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    """The references listed, in order."""
    return re.findall(r"data-wb-open>((?:INC|REQ)-\d{6})<", response.content.decode())


def titles_of(response) -> list[str]:
    return re.findall(r'class="wb-title" tabindex="-1">([^<]*)<', response.content.decode())


@pytest.fixture
def desk_world(highfield, riverside, westfield, cast, log_incident):
    """highfield, as tech sees it:

    mine       staff's printer, assigned to tech                                 (open, P2)
    new        staff's projector, nobody has it                                  (open, P3)
    grouped    staff's laptop in "Laptops", whose default group (tech a member)   (open, unassigned)
    held       desk's call for staff, taken by tech, on hold for parts           (open)
    fixed      resolved by tech, waiting for the caller                          (resolved)
    done       resolved and closed                                               (closed)
    request    a service request awaiting approval                                (pending approval)
    major      a major incident (Wi-Fi down), taken by netmgr                     (open)
    secret     a safeguarding concern, with netmgr: tech may not see it
    and one open ticket at riverside (tech2) and at westfield (outsider).
    """
    staff, desk, tech, netmgr = cast["staff"], cast["desk"], cast["tech"], cast["netmgr"]
    team = SupportGroup.objects.create(school=highfield, name="Laptop team")
    team.members.add(tech)
    laptops = Category.objects.create(school=highfield, name="Laptops", default_group=team)
    room = cmdb.location_create(school=highfield, actor=tech, kind="site", name="Main site")
    room = cmdb.location_create(school=highfield, actor=tech, kind="building", name="Science", parent=room)
    room = cmdb.location_create(school=highfield, actor=tech, kind="room", name="S12", parent=room)
    board = cmdb.ci_create(school=highfield, actor=tech, kind="display", name="BOARD-S12", location=room)
    made = {
        "mine": log_incident(highfield, by=staff, title="Office printer jams", impact=Impact.HIGH),
        "new": log_incident(highfield, by=staff, title="Projector shows no picture", location=room, ci=board),
        "grouped": log_incident(highfield, by=staff, title="Laptop will not charge", category=laptops),
        "held": log_incident(highfield, by=desk, reporter=staff, title="Speakers crackle", channel="phone"),
        "fixed": log_incident(highfield, by=staff, title="Cannot print in colour"),
        "done": log_incident(highfield, by=staff, title="Mouse missing"),
        "request": log_incident(
            highfield, by=staff, title="New starter account", kind=TicketKind.REQUEST, awaiting_approval=True
        ),
        "major": log_incident(highfield, by=staff, title="Wi-Fi down in Science", impact=Impact.HIGH),
        "secret": log_incident(highfield, by=staff, title="Worrying search history", safeguarding=True),
        "riverside": log_incident(riverside, by=cast["tech2"], title="Riverside projector dead"),
        "westfield": log_incident(westfield, by=cast["outsider"], title="Westfield printer offline"),
    }
    services.incident_assign(incident=made["mine"], assignee=tech, actor=desk)
    held = services.incident_transition(incident=made["held"], action="start", actor=tech)
    services.incident_transition(
        incident=held, action="hold", actor=tech, note="Parts ordered", hold_reason=HoldReason.AWAITING_PARTS
    )
    services.incident_transition(
        incident=made["fixed"], action="resolve", actor=tech, note="Driver set to colour.", resolution_code="fixed"
    )
    done = services.incident_transition(
        incident=made["done"], action="resolve", actor=tech, note="Found it.", resolution_code="fixed"
    )
    services.incident_transition(incident=done, action="close", actor=staff)
    services.incident_transition(incident=made["major"], action="start", actor=netmgr)
    Incident.objects.filter(pk=made["major"].pk).update(is_major=True)
    services.incident_assign(incident=made["secret"], assignee=netmgr, actor=netmgr)
    return {key: Incident.objects.get(pk=incident.pk) for key, incident in made.items()}


def page(client_for, user, query=""):
    response = client_for(user).get(f"/workbench/{query}")
    assert response.status_code == 200
    return response


# =============================================================================
# Queues and their counts
# =============================================================================


def test_queue_counts_for_a_technician(desk_world, tech):
    counts = workbench.queue_counts(tech, None)
    assert counts == {
        "mine": 2,  # the printer, and the held speakers he took
        "groups": 1,  # the laptop, in his group's queue
        "unassigned": 2,  # the projector and the laptop (the request waits for approval)
        "approval": 1,
        "on_hold": 1,
        "major": 1,
        "resolved": 1,
        "open": 6,  # mine, new, grouped, held, request, major: never the safeguarding one he may not see
    }


def test_the_counts_are_one_query(desk_world, tech):
    tech.school_roles  # noqa: B018  (the roles are cached per person for the request)
    tech.visible_school_ids  # noqa: B018
    with CaptureQueriesContext(connection) as queries:
        workbench.queue_counts(tech, None)
    assert len(queries) == 1


def test_the_counts_of_many_schools_are_kept_a_little_while(desk_world, consultant, tech, monkeypatch, log_incident):
    """Across an authority the counts run over every open ticket: kept 30 s per person, never within a school."""
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setattr(workbench, "PER_SCHOOL_LISTS", 1)
    highfield = desk_world["mine"].school_id
    before, at_highfield = workbench.queue_counts(consultant, None), workbench.queue_counts(consultant, highfield)
    log_incident(desk_world["mine"].school, by=tech, title="One more")
    assert workbench.queue_counts(consultant, None) == before  # from the cache
    assert workbench.queue_counts(consultant, highfield)["open"] == at_highfield["open"] + 1  # one school: afresh
    cache.clear()
    assert workbench.queue_counts(consultant, None)["open"] == before["open"] + 1


@pytest.mark.parametrize(
    ("queue", "expected"),
    [
        ("mine", ["Office printer jams", "Speakers crackle"]),
        ("groups", ["Laptop will not charge"]),
        ("unassigned", ["Projector shows no picture", "Laptop will not charge"]),
        ("approval", ["New starter account"]),
        ("on_hold", ["Speakers crackle"]),
        ("major", ["Wi-Fi down in Science"]),
        ("resolved", ["Cannot print in colour"]),
    ],
)
def test_each_queue_lists_its_tickets(queue, expected, desk_world, tech, client_for):
    response = page(client_for, tech, f"?queue={queue}&sort=oldest")
    assert titles_of(response) == expected
    content = response.content.decode()
    assert "Worrying search history" not in content and "Riverside" not in content


def test_everything_includes_closed_tickets_and_the_counts_are_shown(desk_world, tech, client_for):
    response = page(client_for, tech, "?queue=all")
    assert "Mouse missing" in titles_of(response)
    content = response.content.decode()
    assert re.search(r'id="wb-count-open">.*?6<', content), "the rail shows the live count of All open"


def test_the_safeguarding_ticket_is_in_the_queues_of_those_who_may_see_it(desk_world, netmgr, tech):
    assert workbench.queue_counts(netmgr, None)["mine"] == 2  # the major incident and the concern
    assert desk_world["secret"].pk not in workbench.tickets_for(tech, None).values_list("pk", flat=True)


def test_the_workbench_opens_on_the_persons_own_queue(desk_world, tech, desk, leader, client_for):
    assert 'href="?queue=mine" class="wb-queue active"' in page(client_for, tech).content.decode()
    assert 'href="?queue=unassigned" class="wb-queue active"' in page(client_for, desk).content.decode()
    assert 'href="?queue=open" class="wb-queue active"' in page(client_for, leader).content.decode()


def test_a_consultant_works_across_the_authoritys_schools(desk_world, consultant, client_for):
    counts = workbench.queue_counts(consultant, None)
    assert counts["open"] == 7  # highfield's six and riverside's one; never westfield (another authority)
    response = page(client_for, consultant, "?queue=open")
    listed = titles_of(response)
    assert "Riverside projector dead" in listed and "Office printer jams" in listed
    assert "Westfield printer offline" not in listed and "Worrying search history" not in listed
    assert "Riverside Academy" in response.content.decode(), "the school is shown when several are listed"
    response = page(client_for, consultant, "?queue=open&school=riverside")
    assert titles_of(response) == ["Riverside projector dead"]


def test_another_authoritys_school_in_the_filter_lists_nothing(desk_world, consultant, client_for):
    response = page(client_for, consultant, "?queue=open&school=westfield")
    assert titles_of(response) == [] and "cannot be used" in response.content.decode()


def test_an_ict_user_is_sent_to_their_own_tickets(staff, client_for):
    response = client_for(staff).get("/workbench/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_workbench_is_in_the_menu_of_support_staff_only(tech, staff, client_for):
    assert 'href="/workbench/"' in client_for(tech).get("/incidents/").content.decode()
    assert 'href="/workbench/"' not in client_for(staff).get("/incidents/").content.decode()


@pytest.mark.parametrize("person", ["tech", "desk"])
def test_the_technicians_and_the_desks_home_lead_to_the_workbench(person, cast, client_for):
    content = client_for(cast[person]).get("/").content.decode()
    assert re.search(r'<a href="/workbench/" class="btn [^"]*" data-open-workbench>', content)


# =============================================================================
# Filters and sorting
# =============================================================================


def test_filters_narrow_the_queue(desk_world, tech, client_for):
    def listed(query):
        return titles_of(page(client_for, tech, f"?queue=all&sort=oldest&{query}"))

    laptops = Category.objects.get(name="Laptops")
    assert listed("kind=request") == ["New starter account"]
    assert listed(f"category={laptops.pk}") == ["Laptop will not charge"]
    assert listed(f"group={laptops.default_group_id}") == ["Laptop will not charge"]
    assert listed(f"location={desk_world['new'].location_id}") == ["Projector shows no picture"]
    assert listed(f"ci={desk_world['new'].ci_id}") == ["Projector shows no picture"]
    assert listed("ci_name=board") == ["Projector shows no picture"]
    assert listed("assignee=tech") == [
        "Office printer jams",
        "Speakers crackle",
        "Cannot print in colour",
        "Mouse missing",
    ]
    assert listed("status=on_hold&status=resolved") == ["Speakers crackle", "Cannot print in colour"]
    assert listed("priority=2&kind=incident") == ["Office printer jams", "Wi-Fi down in Science"]


def test_a_category_finds_the_tickets_of_its_sub_categories(desk_world, highfield, tech, client_for):
    hardware = Category.objects.create(school=highfield, name="Hardware")
    Category.objects.filter(name="Laptops").update(parent=hardware)
    assert titles_of(page(client_for, tech, f"?queue=all&category={hardware.pk}")) == ["Laptop will not charge"]


def test_search_finds_references_words_rooms_and_callers(desk_world, highfield, tech, client_for, log_incident):
    patel = make_person("mrs.patel", school=highfield, role=Role.ICT_USER, last_name="Patel")
    log_incident(highfield, by=tech, reporter=patel, title="Visualiser upside down", room="Room 7")

    def found(q):
        return titles_of(page(client_for, tech, f"?queue=all&q={q}"))

    printer = desk_world["mine"]
    assert found(printer.reference) == ["Office printer jams"]
    # A bare number finds its references of both kinds: "1" is INC-000001 and REQ-000001.
    assert sorted(found(str(int(printer.reference[-6:])))) == ["New starter account", "Office printer jams"]
    assert found("patel") == ["Visualiser upside down"]
    assert found("room+7") == ["Visualiser upside down"]
    assert found("printer+jams") == ["Office printer jams"]
    assert found("riverside") == []


def test_the_choice_lists_come_when_more_filters_opens(desk_world, tech, client_for):
    """The page builds no list of categories, groups, people or rooms: "More filters" fetches them, and
    filter values in use meanwhile ride along as hidden fields so that applying the form loses none."""
    laptops = Category.objects.get(name="Laptops")
    content = page(client_for, tech, "?queue=open").content.decode()
    assert 'id="wb-category"' not in content
    assert 'hx-get="/workbench/filter-lists/?queue=open' in content and "show.bs.collapse from:#wb-more once" in content
    content = page(client_for, tech, f"?queue=open&category={laptops.pk}").content.decode()
    assert 'hx-trigger="load"' in content  # the panel is open: its lists come at once
    assert f'<input type="hidden" name="category" value="{laptops.pk}">' in content
    lists = client_for(tech).get(f"/workbench/filter-lists/?queue=open&category={laptops.pk}").content.decode()
    assert f'<option value="{laptops.pk}" selected>Laptops</option>' in lists
    assert '<option value="tech"' in lists and ">S12</option>" in lists  # a technician and a room of highfield
    assert "Riverside" not in lists  # one school: no school list, nothing of another school


def test_people_and_rooms_are_offered_for_a_few_schools_only(desk_world, consultant, client_for, monkeypatch):
    """Across an authority's schools the people and rooms are thousands: the filters ask for one school first,
    keeping a person or room already chosen."""
    lists = client_for(consultant).get("/workbench/filter-lists/?queue=open").content.decode()
    assert 'id="wb-assignee"' in lists and 'id="wb-school"' in lists  # two schools: short lists
    monkeypatch.setattr(workbench, "PER_SCHOOL_LISTS", 1)
    lists = client_for(consultant).get("/workbench/filter-lists/?queue=open&assignee=tech").content.decode()
    assert 'id="wb-assignee"' not in lists and 'id="wb-room"' not in lists
    assert "Choose one school" in lists and '<input type="hidden" name="assignee" value="tech">' in lists
    assert 'id="wb-category"' in lists and 'id="wb-school"' in lists


def test_date_ranges(desk_world, tech, client_for):
    old = desk_world["new"]
    Incident.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    day = (timezone.localdate() - timedelta(days=20)).isoformat()
    assert titles_of(page(client_for, tech, f"?queue=open&logged_before={day}")) == ["Projector shows no picture"]
    assert "Projector shows no picture" not in titles_of(page(client_for, tech, f"?queue=open&logged_after={day}"))
    today = timezone.localdate().isoformat()
    assert len(titles_of(page(client_for, tech, f"?queue=open&updated_after={today}"))) == 6


def test_sorting(desk_world, tech, client_for):
    Incident.objects.filter(pk=desk_world["new"].pk).update(created_at=timezone.now() - timedelta(days=3))
    by_priority = titles_of(page(client_for, tech, "?queue=open&sort=priority"))
    assert by_priority[:2] == ["Office printer jams", "Wi-Fi down in Science"]  # the P2s, oldest first
    assert titles_of(page(client_for, tech, "?queue=open&sort=oldest"))[0] == "Projector shows no picture"
    assert titles_of(page(client_for, tech, "?queue=open&sort=newest"))[-1] == "Projector shows no picture"
    held = desk_world["held"]
    services.incident_comment(incident=held, author=tech, text="Parts due Friday.")
    assert titles_of(page(client_for, tech, "?queue=open&sort=updated"))[0] == "Speakers crackle"
    by_reference = refs(page(client_for, tech, "?queue=open&sort=reference"))
    assert by_reference == sorted(by_reference)


def test_an_invalid_filter_says_what_is_wrong(desk_world, tech, client_for):
    response = page(client_for, tech, "?queue=open&priority=9&logged_after=yesterday")
    content = response.content.decode()
    assert titles_of(response) == []
    assert "These filters cannot be used" in content and "Priority" in content and "Logged between" in content


def test_an_unknown_queue_is_refused_not_a_crash(tech, client_for):
    assert "cannot be used" in page(client_for, tech, "?queue=everything-ever").content.decode()


# =============================================================================
# Paging: 50 a page, a fixed number of queries, a bounded count
# =============================================================================


@pytest.fixture
def many(highfield, staff):
    """Make `n` open tickets at highfield quickly (services for the first, then copies of its shape)."""

    def make(n: int) -> None:
        existing = Incident.objects.filter(school=highfield).count()
        now = timezone.now()
        Incident.objects.bulk_create(
            [
                Incident(
                    school=highfield,
                    reference=f"INC-{900000 + i:06d}",
                    title=f"Bulk {i:03d}",
                    description="-",
                    reporter=staff,
                    logged_by=staff,
                    priority=3,
                    created_at=now,
                    updated_at=now,
                )  # fmt: skip
                for i in range(existing, existing + n)
            ]
        )

    return make


def test_a_page_holds_fifty_and_the_next_page_the_rest(many, tech, client_for):
    many(60)
    first = page(client_for, tech, "?queue=open&sort=reference")
    assert len(refs(first)) == 50
    content = first.content.decode()
    assert "1–50 of 60 tickets" in content and 'rel="next"' in content
    second = page(client_for, tech, "?queue=open&sort=reference&page=2")
    assert len(refs(second)) == 10 and "51–60 of 60" in second.content.decode()
    assert not set(refs(first)) & set(refs(second))
    beyond = page(client_for, tech, "?queue=open&page=9")
    assert "No more tickets" in beyond.content.decode()


def test_the_count_is_bounded(many, tech, client_for, monkeypatch):
    monkeypatch.setattr(workbench, "PAGE_SIZE", 10)
    monkeypatch.setattr(workbench, "COUNT_CAP", 20)
    many(30)
    assert "1–10 of 20+ tickets" in page(client_for, tech, "?queue=open").content.decode()
    assert "21–30 of 30 tickets" in page(client_for, tech, "?queue=open&page=3").content.decode()


@pytest.mark.parametrize("viewer", ["tech", "desk", "consultant"])
def test_the_page_costs_the_same_for_one_ticket_as_for_sixty(
    viewer, many, cast, client_for, log_incident, highfield, django_assert_max_num_queries
):
    client = client_for(cast[viewer])
    log_incident(highfield, by=cast["staff"], title="The only one")
    urls = ["/workbench/?queue=open", "/workbench/poll/?queue=open&shown=1&since=2024-01-01T00:00:00Z"]
    assert all(client.get(url).status_code == 200 for url in urls)  # warm up
    small = {}
    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        small[url] = len(queries)
    many(60)
    # Issue 11: eight queries at most for the technician's queue (and the poll), the session read from Redis;
    # one more where sessions are read from the database (no shared cache).
    budget = 8 if settings.SESSION_ENGINE.endswith("cached_db") else 9
    for url in [*urls, "/workbench/?queue=open&page=2", "/workbench/?queue=all&kind=incident&sort=due&page=2"]:
        with django_assert_max_num_queries(budget):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
        assert len(queries) == small.get(url, small[urls[0]]), url


# =============================================================================
# Live updates
# =============================================================================


def shown_state(response) -> dict[str, str]:
    content = response.content.decode()
    since = re.search(r'data-since="([^"]*)"', content).group(1)
    shown = re.search(r'data-shown="([^"]*)"', content).group(1)
    return {"since": since, "shown": shown}


def test_the_poll_gives_the_counts_and_what_changed_on_the_page(desk_world, tech, desk, client_for):
    client = client_for(tech)
    state = shown_state(page(client_for, tech, "?queue=mine"))
    quiet = client.get("/workbench/poll/", {"queue": "mine", **state}).json()
    assert quiet["counts"]["mine"] == 2 and quiet["changed"] == 0
    services.incident_comment(incident=desk_world["mine"], author=desk, text="The caller rang again.")
    services.incident_assign(incident=desk_world["new"], assignee=tech, actor=desk)
    answer = client.get("/workbench/poll/", {"queue": "mine", **state}).json()
    assert answer["counts"]["mine"] == 3
    assert (answer["updated"], answer["arrived"], answer["left"], answer["changed"]) == (1, 1, 0, 2)


def test_the_poll_never_caches_and_varies_on_htmx(tech, client_for):
    response = client_for(tech).get("/workbench/poll/?queue=mine")
    assert "no-store" in response["Cache-Control"] and "HX-Request" in response["Vary"]
    response = client_for(tech).get("/workbench/?queue=mine")
    assert "no-store" in response["Cache-Control"] and "HX-Request" in response["Vary"]


def test_with_tickets_chosen_the_poll_only_offers_a_refresh(desk_world, tech, desk, client_for):
    client = client_for(tech)
    state = shown_state(page(client_for, tech, "?queue=mine"))
    services.incident_comment(incident=desk_world["mine"], author=desk, text="Any news?")
    response = client.get(
        "/workbench/poll/", {"queue": "mine", **state, "selected": "2", "auto": "1"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert "1 ticket has changed on this page" in content and "data-wb-refresh" in content
    assert 'id="wb-list"' not in content, "rows never move under someone choosing them"
    assert re.search(r'id="wb-count-mine" hx-swap-oob="true">.*?2<', content)


def test_with_nothing_chosen_the_poll_brings_the_fresh_rows(desk_world, tech, desk, client_for):
    client = client_for(tech)
    state = shown_state(page(client_for, tech, "?queue=mine"))
    services.incident_assign(incident=desk_world["new"], assignee=tech, actor=desk)
    response = client.get(
        "/workbench/poll/", {"queue": "mine", **state, "selected": "0", "auto": "1"}, HTTP_HX_REQUEST="true"
    )
    content = response.content.decode()
    assert '<div id="wb-list"' in content and 'hx-swap-oob="true"' in content
    assert "Projector shows no picture" in content and "List updated" in content
    assert "auto=1" not in content and "selected=" not in content, "links keep the filters, not the poll's own"


def test_an_unchanged_page_gets_only_the_counts(desk_world, tech, client_for):
    client = client_for(tech)
    state = shown_state(page(client_for, tech, "?queue=mine"))
    response = client.get("/workbench/poll/", {"queue": "mine", **state, "auto": "1"}, HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert 'id="wb-list"' not in content and "changed" not in content and 'id="wb-count-mine"' in content


def test_htmx_asks_for_the_rows_alone(desk_world, tech, client_for):
    response = client_for(tech).get("/workbench/?queue=mine", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="wb-list"') and "<html" not in content
    assert "Office printer jams" in content


# =============================================================================
# The page: keys, no inline script, escaping
# =============================================================================


def test_the_keyboard_script_is_served_and_the_page_has_no_inline_script(tech, client_for):
    client = client_for(tech)
    content = page(client_for, tech).content.decode()
    scripts = re.findall(r"<script([^>]*)>", content)
    assert scripts and all("src=" in attributes for attributes in scripts), "no inline <script> (CSP)"
    assert "/static/servicedesk/workbench.js" in content and 'id="wb-help"' in content
    response = client.get("/static/servicedesk/workbench.js")
    assert response.status_code == 200
    script = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    for key in ('case "j"', 'case "k"', 'case "x"', 'case "o"', 'case "a"', 'case "/"', 'case "?"'):
        assert key in script
    assert " style=" not in content.split('id="workbench"', 1)[1].split("</main>")[0], "no inline styles"


def test_titles_are_escaped(highfield, staff, tech, client_for, log_incident):
    log_incident(highfield, by=staff, title='<img src=x onerror="alert(1)">', room="<b>Room</b>")
    content = page(client_for, tech, "?queue=open").content.decode()
    assert '<img src=x onerror="alert(1)">' not in content and "&lt;img src=x" in content
    assert "<b>Room</b>" not in content


def test_an_empty_queue_says_where_to_look(tech, client_for):
    content = page(client_for, tech, "?queue=mine").content.decode()
    assert "Nothing in this queue" in content


def test_a_technician_at_two_schools_sees_both(desk_world, tech, riverside, client_for):
    Membership.objects.create(user=tech, school=riverside, role=Role.TECHNICIAN)
    listed = titles_of(page(client_for, tech, "?queue=open"))
    assert "Riverside projector dead" in listed and "Office printer jams" in listed


def test_readers_get_the_queues_without_the_bulk_actions(desk_world, leader, consultant, tech, client_for):
    for reader in (leader, consultant):
        content = page(client_for, reader, "?queue=open").content.decode()
        assert 'id="wb-bulk"' not in content and "data-wb-select" not in content
        assert "Office printer jams" in content
    content = page(client_for, tech, "?queue=open").content.decode()
    assert 'id="wb-bulk"' in content and "data-wb-select" in content
