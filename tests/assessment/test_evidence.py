"""The evidence column agrees with the school's data: each provider's state and summary, with the data built through
the services of its app, and another school's data never counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fits.assessment import evidence

pytestmark = pytest.mark.django_db


def seen(school, key):
    return evidence.gather(school, [key], today=timezone.localdate())[key]


# --- Service Level Management: an SLA exists and is measured ---------------------------------------------------------


def test_sla_none_then_drafted_then_agreed_and_measured(highfield, netmgr, staff, log_incident):
    from servicelevels import services

    assert seen(highfield, "servicelevels.sla_agreed").state == "not_met"
    today = timezone.localdate()
    sla = services.agreement_create(
        school=highfield,
        actor=netmgr,
        name="Highfield SLA",
        owner=netmgr,
        starts=today,
        review_date=today + timedelta(days=365),
    )
    services.agreement_copy_built_in_targets(agreement=sla, actor=netmgr)
    assert seen(highfield, "servicelevels.sla_agreed").state == "partly"
    services.agreement_transition(agreement=sla, action="agree", actor=netmgr)
    found = seen(highfield, "servicelevels.sla_agreed")
    assert found.state == "partly" and "no ticket of the last 90 days was measured" in found.summary
    log_incident(highfield, by=staff)
    found = seen(highfield, "servicelevels.sla_agreed")
    assert found.state == "met" and found.summary.startswith("SLA agreed (Highfield SLA); 1 tickets")


# --- Storage Management: restores tested this term; backups reporting -----------------------------------------------


def test_restores_tested_this_term_counts_each_active_job(highfield, riverside, tech, tech2):
    from cmdb.services import ci_create
    from om.storage import services as storage

    assert seen(highfield, "storage.restores_tested").state == "not_met"
    server = ci_create(school=highfield, actor=tech, kind="server", name="HF-FS-01")
    jobs = [
        storage.backup_job_save(
            actor=tech, school=highfield, name=f"Nightly {n}", destination="NAS", cis=[server], retention_days=30
        )
        for n in (1, 2)
    ]
    found = seen(highfield, "storage.restores_tested")
    assert found.state == "not_met" and found.summary.startswith("0 of 2 backup jobs")
    today = timezone.localdate()
    storage.restore_test_record(
        job=jobs[0],
        actor=tech,
        tested_on=today,
        restored="Budget.xlsx",
        restored_from=today - timedelta(days=1),
        minutes=5,
        verified_by=tech,
        evidence="Opened it.",
    )
    found = seen(highfield, "storage.restores_tested")
    assert found.state == "partly" and found.summary.startswith("1 of 2 backup jobs had a successful restore test")
    storage.restore_test_record(
        job=jobs[1],
        actor=tech,
        tested_on=today,
        restored="Letters",
        minutes=5,
        restored_from=today - timedelta(days=1),
        verified_by=tech,
        evidence="Opened.",
    )
    assert seen(highfield, "storage.restores_tested").state == "met"
    assert seen(riverside, "storage.restores_tested").state == "not_met"  # riverside has no job: highfield's count not


def test_backups_reporting_needs_a_recent_result_and_no_open_alert(highfield, tech):
    from cmdb.services import ci_create
    from om.storage import services as storage

    assert seen(highfield, "storage.backups_monitored").state == "unknown"
    server = ci_create(school=highfield, actor=tech, kind="server", name="HF-FS-01")
    storage.backup_job_save(
        actor=tech, school=highfield, name="Nightly", destination="NAS", cis=[server], retention_days=30
    )
    assert seen(highfield, "storage.backups_monitored").state == "not_met"
    yesterday = timezone.localtime() - timedelta(days=1)
    storage.backup_report_receive(
        school=highfield,
        raw=(
            f"From: veeam@highfield.sch.uk\nSubject: [Success] Nightly (1 machines)\n"
            f"Date: {yesterday:%a, %d %b %Y %H:%M:%S %z}\n\nProcessed\n"
        ),
    )
    found = seen(highfield, "storage.backups_monitored")
    assert found.state == "met" and found.summary.startswith("1 of 1 backup jobs reported")


# --- Patch Management: compliance above the threshold --------------------------------------------------------------


def test_patch_compliance_against_the_threshold(highfield, tech, admin_user):
    from cmdb.models import ConfigurationItem
    from cmdb.services import ci_create
    from om.patches import services as patches
    from om.patches.compliance import compliance_compute

    assert seen(highfield, "patches.compliance").state == "unknown"
    pcs = [ci_create(school=highfield, actor=tech, kind="desktop", name=f"PC{n}") for n in range(2)]
    ConfigurationItem.objects.filter(pk__in=[pc.pk for pc in pcs]).update(last_inventory_at=timezone.now())
    update = patches.update_save(
        actor=tech, school=highfield, kind="package", identifier="firefox", product="Firefox", min_version="2.0"
    )
    group = patches.group_save(actor=tech, school=highfield, name="Desktops", ci_kind="desktop")
    patches.approval_set(
        actor=admin_user,
        update=update,
        group=group,
        decision="approved",
        deadline=timezone.localdate() - timedelta(days=1),
    )
    patches.import_report(
        actor=tech,
        school=highfield,
        text="host,package,version\nPC0,firefox,2.1\nPC1,firefox,1.0\n",
        file_name="report.csv",
    )
    compliance_compute(school_id=highfield.pk)
    found = seen(highfield, "patches.compliance")
    assert found.state == "not_met"
    assert found.summary == "50 % compliant (1 of 2 computer-update pairs; 1 overdue); the threshold is 90 %."
    patches.import_report(
        actor=tech, school=highfield, text="host,package,version\nPC1,firefox,2.0\n", file_name="report2.csv"
    )
    compliance_compute(school_id=highfield.pk)
    assert seen(highfield, "patches.compliance").state == "met"


# --- Change Management: approved before implementation ------------------------------------------------------------


def test_changes_approved_before_they_started(highfield, tech, netmgr):
    from changes import services as changes

    assert seen(highfield, "changes.approved_before").state == "unknown"
    low = {"users_affected": "few", "service_criticality": "low", "tested": "yes", "backout": "yes", "school_day": "no"}

    def raised(title, kind="normal"):
        change = changes.rfc_create(
            school=highfield,
            requester=tech,
            title=title,
            reason="Advisory.",
            kind=kind,
            implementation_plan="Upload.",
            test_plan="Ping.",
            backout_plan="Revert.",
        )
        change = changes.rfc_assess(change=change, actor=tech, answers=low)
        return changes.rfc_submit(change=change, actor=tech)

    normal = raised("Upgrade the switch firmware")
    changes.rfc_approve(change=normal, approver=netmgr)
    start = timezone.now() + timedelta(minutes=5)
    changes.rfc_schedule(change=normal, actor=tech, planned_start=start, planned_end=start + timedelta(hours=1))
    changes.rfc_start(change=normal, actor=tech)
    found = seen(highfield, "changes.approved_before")
    assert found.state == "met" and found.summary.startswith("1 of 1 changes implemented in the last 12 months")
    emergency = raised("Replace the failed firewall", kind="emergency")
    changes.rfc_start(change=emergency, actor=tech)  # an emergency starts before approval
    found = seen(highfield, "changes.approved_before")
    assert found.state == "not_met" and found.summary.startswith("1 of 2 changes") and "(50 %)" in found.summary


# --- Incident Management: logged with priority and category --------------------------------------------------------


def test_incidents_logged_with_a_category(highfield, staff, netmgr, log_incident):
    from incidents import services

    assert seen(highfield, "incidents.priority_category").state == "unknown"
    category = services.category_save(actor=netmgr, school=highfield, name="Printing")
    log_incident(highfield, by=staff, category=category)
    assert seen(highfield, "incidents.priority_category").state == "met"
    log_incident(highfield, by=staff)
    found = seen(highfield, "incidents.priority_category")
    assert found.state == "partly" and found.summary.startswith("1 of 2 incidents of the last 90 days have a category")


# --- Security Administration and Release Management ------------------------------------------------------------------


def test_firewall_rules_past_their_review_are_not_met(highfield, tech):
    from cmdb.services import ci_create
    from om.security import services as security

    firewall = ci_create(school=highfield, actor=tech, kind="firewall", name="HF-FW")
    assert seen(highfield, "security.firewall_reviewed").state == "not_met"
    today = timezone.localdate()
    security.firewall_rule_save(
        actor=tech,
        firewall=firewall,
        name="Allow DNS",
        purpose="Resolvers.",
        action="allow",
        review_due=today + timedelta(days=30),
    )
    assert seen(highfield, "security.firewall_reviewed").state == "met"
    security.firewall_rule_save(
        actor=tech,
        firewall=firewall,
        name="Allow RDP",
        purpose="Support.",
        action="allow",
        review_due=today - timedelta(days=1),
    )
    found = seen(highfield, "security.firewall_reviewed")
    assert found.state == "partly" and found.summary == (
        "1 of 2 firewall and filtering rules are within their review date (1 overdue)."
    )


def test_every_provider_answers_for_a_school_with_no_data(highfield):
    from fits.assessment.questionnaire import question_map

    found = evidence.gather(highfield, question_map(), today=timezone.localdate())
    assert set(found) == set(evidence.providers())
    assert all(item.summary and item.state in evidence.STATES for item in found.values())
    assert "could not be read" not in " ".join(item.summary for item in found.values())


def test_disagreement_is_said_when_the_answer_claims_more_than_the_data():
    met, not_met = evidence.Evidence("met", "x"), evidence.Evidence("not_met", "y")
    assert "not met" in evidence.disagreement("fully", not_met)
    assert "out of date" in evidence.disagreement("not_yet", met)
    assert evidence.disagreement("fully", met) == "" and evidence.disagreement("partly", not_met) == ""
    assert evidence.disagreement(None, not_met) == ""
