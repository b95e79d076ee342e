# A problem's permanent fix is a request for change: the free-text reference becomes a link.

import django.db.models.deletion
from django.db import migrations, models


def link_changes(apps, schema_editor):
    """Link each problem to the change of its own school whose reference it recorded (case and spaces aside)."""
    Problem = apps.get_model("problems", "Problem")
    RequestForChange = apps.get_model("changes", "RequestForChange")
    for problem in Problem.objects.exclude(change_reference="").only("pk", "school_id", "change_reference"):
        reference = problem.change_reference.strip().upper()
        change_id = (
            RequestForChange.objects.filter(school_id=problem.school_id, reference=reference)
            .values_list("pk", flat=True)
            .first()
        )
        if change_id is not None:
            Problem.objects.filter(pk=problem.pk).update(change_id=change_id)


def unlink_changes(apps, schema_editor):
    Problem = apps.get_model("problems", "Problem")
    for problem in Problem.objects.filter(change__isnull=False).select_related("change"):
        Problem.objects.filter(pk=problem.pk).update(change_reference=problem.change.reference)


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0002_cab_meetings"),
        ("problems", "0002_source_rfc_candidates_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="historicalproblem",
            name="change",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                help_text="The request for change that carries the permanent fix (Change Management).",
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="changes.requestforchange",
                verbose_name="request for change",
            ),
        ),
        migrations.AddField(
            model_name="problem",
            name="change",
            field=models.ForeignKey(
                blank=True,
                help_text="The request for change that carries the permanent fix (Change Management).",
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="problems",
                to="changes.requestforchange",
                verbose_name="request for change",
            ),
        ),
        migrations.RunPython(link_changes, unlink_changes),
    ]
