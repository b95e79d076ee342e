"""Celery tasks of Patch Management: thin wrappers that take ids and call the compliance run.

Beat runs `compliance_compute_task` every hour for all schools; a page or the API may run it for one school.
It is acks_late and idempotent: a run repeated after its worker died records no change twice and raises no
second task (each overdue critical pair keeps its one task, source_key "patch:CI:UPDATE").
"""

from __future__ import annotations

from celery import shared_task


@shared_task(acks_late=True)
def compliance_compute_task(school_id: int | None = None) -> int:
    """Compute patch compliance (at one school, or all) and return the ComplianceRun's id."""
    from om.patches.compliance import compliance_compute

    return compliance_compute(school_id=school_id).run.pk
