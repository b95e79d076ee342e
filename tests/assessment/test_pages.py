"""The pages: this year's assessments, one assessment's scores, a process's questionnaire with the evidence beside
the answers (disagreements highlighted), history, the LEA's side-by-side view, the CSV exports; who sees and does
what."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from fits.assessment import services
from fits.assessment.models import Answer, Assessment

pytestmark = pytest.mark.django_db


def test_ict_users_find_nothing_here(staff, client_for, started):
    client = client_for(staff)
    for url in (
        reverse("assessment:home"),
        reverse("assessment:lea"),
        started.get_absolute_url(),
        reverse("assessment:area", args=[started.pk, "changes"]),
    ):
        assert client.get(url).status_code == 404, url


def test_the_network_manager_starts_the_year_from_the_home_page(highfield, netmgr, client_for, this_year):
    client = client_for(netmgr)
    page = client.get(reverse("assessment:home")).content.decode()
    assert "Not started" in page and f"Start {this_year}/" in page
    response = client.post(reverse("assessment:start"), {"school": "highfield"})
    assessment = Assessment.objects.get(school=highfield, year=this_year)
    assert response.status_code == 302 and response["Location"] == assessment.get_absolute_url()
    page = client.get(reverse("assessment:home")).content.decode()
    assert "In progress" in page and "0 / 83" in page and 'id="scores-process"' in page


def test_a_technician_reads_but_is_offered_no_start_and_no_answers(highfield, tech, client_for, started):
    client = client_for(tech)
    assert "Start " not in client.get(reverse("assessment:home")).content.decode()
    page = client.get(reverse("assessment:area", args=[started.pk, "changes"])).content.decode()
    assert 'id="read-only"' in page and "Save answers" not in page and "disabled" in page
    client.post(reverse("assessment:area", args=[started.pk, "changes"]), {"changes.rfc_major-level": "fully"})
    assert not Answer.objects.exists()


def test_answering_a_process_on_its_page_scores_it(netmgr, client_for, started):
    client = client_for(netmgr)
    url = reverse("assessment:area", args=[started.pk, "changes"])
    response = client.post(
        url,
        {
            "changes.rfc_major-level": "fully",
            "changes.rfc_major-evidence": "RFC register on SharePoint",
            "changes.rfc_major-link": "https://example.org/rfcs",
            "changes.approved_before-level": "partly",
        },
    )
    assert response.status_code == 302
    answer = Answer.objects.get(assessment=started, question="changes.rfc_major")
    assert (answer.level, answer.evidence, answer.link) == (
        "fully",
        "RFC register on SharePoint",
        "https://example.org/rfcs",
    )
    detail = client.get(started.get_absolute_url()).content.decode()
    assert 'id="score-changes"' in detail and 'data-percent="30"' in detail and 'id="overall">2 %' in detail
    page = client.get(url).content.decode()
    assert "Recommended action:" in page and "Publish the change summary" in page  # for the "not yet" ones


def test_the_evidence_column_shows_the_data_and_flags_a_claim_it_contradicts(highfield, netmgr, client_for, started):
    services.assessment_answer(assessment=started, actor=netmgr, question="storage.restores_tested", level="fully")
    page = client_for(netmgr).get(reverse("assessment:area", args=[started.pk, "storage"])).content.decode()
    assert 'data-state="not_met"' in page and "No backup job is recorded." in page
    assert "Answered fully, but the school&#x27;s data says this is not met." in page


def test_completing_and_reopening_from_the_page(netmgr, tech, client_for, started):
    assert "Mark completed" not in client_for(tech).get(started.get_absolute_url()).content.decode()
    client = client_for(netmgr)
    assert "Mark completed" in client.get(started.get_absolute_url()).content.decode()
    client.post(reverse("assessment:transition", args=[started.pk, "complete"]))
    started.refresh_from_db()
    assert started.status == "completed"
    assert "Reopen" in client.get(started.get_absolute_url()).content.decode()


def test_the_consultant_moderates_on_the_process_page(consultant, netmgr, client_for, started):
    url = reverse("assessment:moderate", args=[started.pk, "changes"])
    client_for(netmgr).post(url, {"percent": 10, "comment": "Self-moderation"})
    assert not started.moderations.exists()
    client_for(consultant).post(url, {"percent": 40, "comment": "No RFC for the Wi-Fi."})
    page = client_for(netmgr).get(reverse("assessment:area", args=[started.pk, "changes"])).content.decode()
    assert "<strong>40 %</strong> (the school says 0 %)" in page and "No RFC for the Wi-Fi." in page


def test_the_lea_view_puts_the_authoritys_schools_side_by_side_with_the_weakest_processes(
    highfield, riverside, westfield, netmgr, admin_user, consultant, client_for, answer
):
    hf = services.assessment_start(school=highfield, actor=netmgr)
    rs = services.assessment_start(school=riverside, actor=admin_user)
    answer(hf, netmgr, {q: "fully" for q in ("changes.rfc_major", "changes.approved_before", "changes.communicated")})
    answer(rs, admin_user, {"changes.rfc_major": "fully", "finance.budget": "fully"})
    page = client_for(consultant).get(reverse("assessment:lea")).content.decode()
    assert "Highfield Primary School" in page and "Riverside Academy" in page and "Westfield" not in page
    assert "2 schools assessed" in page
    weakest = page[page.index('id="weakest"') : page.index("</ol>", page.index('id="weakest"'))]
    # Change: (60 + 20) / 2 = 40 %; finance (0 + 20) / 2 = 10 %; the rest 0 %: never Change among the weakest five.
    assert "Change Management" not in weakest and "average 0 %, 2 of 2 schools below 50 %" in weakest
    grid = client_for(consultant).get(reverse("assessment:lea_export")).content.decode()
    rows = {row["school"]: row for row in csv.DictReader(io.StringIO(grid))}
    assert rows["Highfield Primary School"]["Change Management"] == "60"
    assert rows["Riverside Academy"]["Financial Management"] == "20"


def test_history_shows_each_year_and_the_csv_carries_every_question(highfield, netmgr, client_for, answer, this_year):
    import datetime

    last = services.assessment_start(school=highfield, actor=netmgr, today=datetime.date(this_year - 1, 10, 1))
    answer(last, netmgr, {"cmdb.audited": "fully"})
    current = services.assessment_start(school=highfield, actor=netmgr)
    answer(current, netmgr, {"cmdb.populated": "partly"})
    client = client_for(netmgr)
    page = client.get(reverse("assessment:history")).content.decode()
    assert f"{this_year - 1}/" in page and f"{this_year}/" in page and "<polyline" in page
    assert 'id="history-badge"' in client.get(last.get_absolute_url()).content.decode()
    export = client.get(reverse("assessment:export", args=[current.pk]))
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert len(rows) == 83
    audited = next(row for row in rows if row["question key"] == "cmdb.audited")
    assert audited["answer"] == "Fully" and audited["recommended action"] == ""  # carried over
    populated = next(row for row in rows if row["question key"] == "cmdb.populated")
    assert populated["answer"] == "Partly" and populated["recommended action"].startswith("Carry out a full audit")
