# Separate from 0003 so that PostgreSQL has no pending constraint checks from its data step when the column goes.

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("problems", "0003_change_link"),
    ]

    operations = [
        migrations.RemoveField(model_name="historicalproblem", name="change_reference"),
        migrations.RemoveField(model_name="problem", name="change_reference"),
    ]
