"""The ticket table's foreign keys that lead a composite index lose their own (Incident's docstring).

Only the indexes are dropped (the state changes with them): letting AlterField do it would also drop and re-add
each foreign key constraint, re-checking it over every ticket under an exclusive lock.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (column, the index Django named for it)
DROPPED = [
    ("assignee_id", "incidents_incident_assignee_id_34068d21"),
    ("category_id", "incidents_incident_category_id_adb8aa70"),
    ("ci_id", "incidents_incident_ci_id_b7cd0c38"),
    ("group_id", "incidents_incident_group_id_dbfb012a"),
    ("reporter_id", "incidents_incident_reporter_id_ffffd929"),
    ("school_id", "incidents_incident_school_id_64853ba0"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0003_ci_list_by_name_index"),
        ("fits", "0003_system_account"),
        ("incidents", "0010_incident_open_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="incident",
                    name="assignee",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="assigned_incidents",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="category",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="incidents.category",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="ci",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        help_text="The device, software or service at fault, if known.",
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="incidents",
                        to="cmdb.configurationitem",
                        verbose_name="configuration item",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="group",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        editable=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="tickets",
                        to="incidents.supportgroup",
                        verbose_name="support group",
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="reporter",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reported_incidents",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="incident",
                    name="school",
                    field=models.ForeignKey(
                        db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="fits.school"
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f'DROP INDEX IF EXISTS "{name}"',
                    reverse_sql=f'CREATE INDEX "{name}" ON "incidents_incident" ("{column}")',
                )
                for column, name in DROPPED
            ],
        ),
    ]
