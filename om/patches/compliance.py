"""The compliance run: every (CI, approved update) pair's state, computed set-based in SQL.

No loop over CIs: one statement computes the pairs (group membership x approvals), the evidence (the CMDB's
inventory, the firmware attribute, imported reports) and the state into a temporary table; three more record the
history, store the states and count them per school for the day. Only the new overdue critical pairs are visited one
by one, each raising its one task (FITS OM: the functions use the processes' tasks, not their own).

The SQL is plain enough for PostgreSQL and SQLite alike; the two differ only in reading a JSON attribute.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from cmdb.models import ConfigurationItem, LifecycleStatus, SoftwareInstallation, SoftwareProduct
from fits.models import School
from om.patches.models import (
    Approval,
    ComplianceChange,
    ComplianceDaily,
    ComplianceRun,
    ComplianceState,
    Decision,
    GroupMember,
    InstalledUpdate,
    PatchGroup,
    Severity,
    State,
    Update,
    UpdateKind,
    VersionKey,
    version_key,
)

# A CI that has sent no inventory and figured in no imported report for this long is "not reporting".
STALE_DAYS = getattr(settings, "FITS_PATCH_STALE_DAYS", 14)
# CIs that are no longer (or not yet) on the network owe no patches.
IN_SERVICE = (LifecycleStatus.LIVE, LifecycleStatus.IN_REPAIR)
TEMP = "patch_computed"


@dataclass
class RunResult:
    run: ComplianceRun
    rows: int
    changed: int
    tasks_raised: int
    timings: dict[str, float]


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _firmware_expr(alias: str) -> str:
    column = f"{alias}.{connection.ops.quote_name('attributes')}"
    if connection.vendor == "postgresql":
        return f"({column}::jsonb ->> 'firmware')"
    return f"json_extract({column}, '$.firmware')"


def _school_filter(alias: str, school_id: int | None) -> tuple[str, list]:
    if school_id is None:
        return "", []
    return f" AND {alias}.school_id = %s", [school_id]


def refresh_version_keys(school_id: int | None = None) -> int:
    """Give every version text the inventory reports for a baseline's product (or as firmware) its sortable key.

    Only distinct texts not yet known are computed, in Python: a few thousand at an authority's size, however many
    installations carry them.
    """
    match_names = Update.objects.exclude(kind=UpdateKind.FIRMWARE).values("match_name")
    products = SoftwareProduct.objects.annotate(match=Lower("name")).filter(match__in=match_names)
    if school_id is not None:
        products = products.filter(school_id=school_id)
    installed = SoftwareInstallation.objects.filter(product__in=products.values("pk")).values_list("version", flat=True)
    known = VersionKey.objects.values("version")
    texts = set(installed.exclude(version__in=known).distinct())
    firmware_cis = ConfigurationItem.objects.filter(attributes__has_key="firmware")
    if school_id is not None:
        firmware_cis = firmware_cis.filter(school_id=school_id)
    texts |= {str(value) for value in firmware_cis.values_list("attributes__firmware", flat=True) if value}
    texts -= set(VersionKey.objects.filter(version__in=texts).values_list("version", flat=True))
    VersionKey.objects.bulk_create(
        [VersionKey(version=text[:255], key=version_key(text)) for text in texts if text],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return len(texts)


TARGETS, EVIDENCE = "patch_targets", "patch_evidence"


def _stage_sql(school_id: int | None, today, stale) -> list[tuple[str, list]]:
    """The statements that compute the run into the temporary table TEMP, in stages (each stage a table with its
    index and statistics, so the planner joins a million pairs by hash rather than by guesswork)."""
    ci, group, member, approval = _t(ConfigurationItem), _t(PatchGroup), _t(GroupMember), _t(Approval)
    update, inst, product = _t(Update), _t(SoftwareInstallation), _t(SoftwareProduct)
    keys, imported, state_t = _t(VersionKey), _t(InstalledUpdate), _t(ComplianceState)
    key = connection.ops.quote_name("key")
    group_filter, group_params = _school_filter("g", school_id)
    member_filter, member_params = _school_filter("m", school_id)
    firmware = _firmware_expr("c")
    statuses = ", ".join(f"'{status}'" for status in IN_SERVICE)
    targets = f"""
    CREATE TEMP TABLE {TARGETS} AS
    WITH membership AS (
        SELECT g.id AS group_id, c.id AS ci_id
        FROM {group} g JOIN {ci} c ON c.school_id = g.school_id AND c.kind = g.ci_kind
        WHERE g.ci_kind <> '' AND (g.location_id IS NULL OR c.location_id = g.location_id)
              AND c.status IN ({statuses}){group_filter}
        UNION
        SELECT m.group_id, m.ci_id
        FROM {member} m JOIN {ci} c ON c.id = m.ci_id
        WHERE c.status IN ({statuses}){member_filter}
    ),
    pairs AS (
        SELECT mem.ci_id, a.update_id,
               MIN(CASE WHEN a.decision = '{Decision.APPROVED}' THEN a.deadline END) AS deadline
        FROM {approval} a JOIN membership mem ON mem.group_id = a.group_id
        GROUP BY mem.ci_id, a.update_id
        HAVING SUM(CASE WHEN a.decision = '{Decision.APPROVED}' THEN 0 ELSE 1 END) = 0
    )
    SELECT p.ci_id, p.update_id, p.deadline, c.school_id, u.kind, u.min_version_key,
           c.last_inventory_at, {firmware} AS firmware
    FROM pairs p JOIN {update} u ON u.id = p.update_id JOIN {ci} c ON c.id = p.ci_id
    WHERE u.kind <> '{UpdateKind.FIRMWARE}' OR LOWER(c.model_name) = u.match_name
    """
    # The inventory's installations of the baseline's products: products first (few), then their installations.
    evidence = f"""
    CREATE TEMP TABLE {EVIDENCE} AS
    SELECT e.ci_id, e.update_id, MAX(e.ok) AS ok, MAX(e.version) AS version FROM (
        SELECT t.ci_id, t.update_id, si.version AS version,
               CASE WHEN t.kind = '{UpdateKind.WINDOWS_KB}' OR t.min_version_key = ''
                         OR vk.{key} >= t.min_version_key THEN 1 ELSE 0 END AS ok
        FROM {update} u
        JOIN {product} sp ON LOWER(sp.name) = u.match_name
        JOIN {inst} si ON si.product_id = sp.id
        JOIN {TARGETS} t ON t.ci_id = si.ci_id AND t.update_id = u.id
        LEFT JOIN {keys} vk ON vk.version = si.version
        WHERE u.kind <> '{UpdateKind.FIRMWARE}'
        UNION ALL
        SELECT t.ci_id, t.update_id, t.firmware,
               CASE WHEN t.min_version_key = '' OR vk.{key} >= t.min_version_key THEN 1 ELSE 0 END
        FROM {TARGETS} t LEFT JOIN {keys} vk ON vk.version = t.firmware
        WHERE t.kind = '{UpdateKind.FIRMWARE}' AND t.firmware IS NOT NULL AND t.firmware <> ''
        UNION ALL
        SELECT t.ci_id, t.update_id, iu.version,
               CASE WHEN iu.installed AND (t.kind = '{UpdateKind.WINDOWS_KB}' OR t.min_version_key = ''
                                           OR iu.version_key >= t.min_version_key) THEN 1 ELSE 0 END
        FROM {TARGETS} t JOIN {imported} iu ON iu.ci_id = t.ci_id AND iu.update_id = t.update_id
    ) e GROUP BY e.ci_id, e.update_id
    """
    computed = f"""
    CREATE TEMP TABLE {TEMP} AS
    WITH seen AS (
        SELECT iu.ci_id, MAX(iu.reported_at) AS reported_at
        FROM {imported} iu WHERE iu.ci_id IN (SELECT ci_id FROM {TARGETS})
        GROUP BY iu.ci_id
    )
    SELECT t.ci_id, t.update_id, t.school_id, t.deadline, COALESCE(b.version, '') AS version,
           o.id AS state_id, o.state AS old_state, o.installed_version AS old_version, o.deadline AS old_deadline,
           CASE
               WHEN b.ok = 1 THEN '{State.COMPLIANT}'
               WHEN CASE WHEN t.last_inventory_at >= %s THEN 1 ELSE 0 END
                    + CASE WHEN s.reported_at >= %s THEN 1 ELSE 0 END
                    + CASE WHEN t.kind = '{UpdateKind.FIRMWARE}' AND b.ci_id IS NOT NULL THEN 1 ELSE 0 END = 0
                   THEN '{State.UNKNOWN}'
               WHEN t.deadline < %s THEN '{State.OVERDUE}'
               ELSE '{State.MISSING}'
           END AS state
    FROM {TARGETS} t
    LEFT JOIN {EVIDENCE} b ON b.ci_id = t.ci_id AND b.update_id = t.update_id
    LEFT JOIN seen s ON s.ci_id = t.ci_id
    LEFT JOIN {state_t} o ON o.ci_id = t.ci_id AND o.update_id = t.update_id
    """
    return [
        (targets, [*group_params, *member_params]),
        (f"CREATE INDEX {TARGETS}_pair ON {TARGETS} (ci_id, update_id)", []),
        (evidence, []),
        (f"CREATE INDEX {EVIDENCE}_pair ON {EVIDENCE} (ci_id, update_id)", []),
        (computed, [stale, stale, today]),
        (f"CREATE UNIQUE INDEX {TEMP}_pair ON {TEMP} (ci_id, update_id)", []),
    ]


def compliance_compute(*, school_id: int | None = None) -> RunResult:
    """Compute every CI's patch compliance (at one school, or at all), record the changes and the day's counts, and
    raise one task per CI and overdue critical update. Running it again changes nothing that has not changed."""
    started = timezone.now()
    clock = time.monotonic()
    scope = School.objects.filter(pk=school_id).values_list("slug", flat=True).first() if school_id else ""
    run = ComplianceRun.objects.create(scope=scope or "", started_at=started)
    timings: dict[str, float] = {}

    def lap(name: str, since=[clock]) -> None:  # noqa: B006 - the last lap's time, kept between calls
        now_ = time.monotonic()
        timings[name] = round(now_ - since[0], 3)
        since[0] = now_

    refresh_version_keys(school_id)
    lap("version keys")
    ops = connection.ops
    now = ops.adapt_datetimefield_value(started)
    today_date = timezone.localdate(started)
    today = ops.adapt_datefield_value(today_date)
    stale = ops.adapt_datetimefield_value(started - timedelta(days=STALE_DAYS))
    never = ops.adapt_datefield_value(date(1900, 1, 1))  # stands for "no deadline" when comparing deadlines
    state_t, change_t, daily_t = _t(ComplianceState), _t(ComplianceChange), _t(ComplianceDaily)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (TEMP, EVIDENCE, TARGETS):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        for sql, params in _stage_sql(school_id, today, stale):
            cursor.execute(sql, params)
            if connection.vendor == "postgresql" and sql.lstrip().startswith("CREATE TEMP TABLE"):
                cursor.execute(f"ANALYZE {sql.split()[3]}")
            lap(" ".join(sql.split()[:4]))
        cursor.execute(f"SELECT COUNT(*) FROM {TEMP}")
        rows = cursor.fetchone()[0]
        # History: each pair whose state is new or different. TEMP carries each pair's stored row (state_id and
        # its old values, joined once before anything is written), so no statement below reads the table it writes:
        # an anti-join against a table growing under it would rescan its new pages for every row (quadratic).
        cursor.execute(
            f"""INSERT INTO {change_t} (school_id, ci_id, update_id, old_state, new_state, changed_at)
            SELECT c.school_id, c.ci_id, c.update_id, COALESCE(c.old_state, ''), c.state, %s
            FROM {TEMP} c WHERE c.state_id IS NULL OR c.old_state <> c.state""",
            [now],
        )
        changed = cursor.rowcount
        lap("history")
        # New pairs are inserted; known ones are written only when something about them changed, so a steady
        # recompute writes nothing (the run's own row says when they were last checked).
        cursor.execute(
            f"""INSERT INTO {state_t} (school_id, ci_id, update_id, state, since, deadline, installed_version, task_id)
            SELECT c.school_id, c.ci_id, c.update_id, c.state, %s, c.deadline, c.version, NULL
            FROM {TEMP} c WHERE c.state_id IS NULL""",
            [now],
        )
        cursor.execute(
            f"""UPDATE {state_t} SET
                since = CASE WHEN c.old_state <> c.state THEN %s ELSE {state_t}.since END,
                state = c.state, deadline = c.deadline, installed_version = c.version
            FROM {TEMP} c
            WHERE c.state_id = {state_t}.id
              AND (c.old_state <> c.state OR c.old_version <> c.version
                   OR COALESCE(c.old_deadline, %s) <> COALESCE(c.deadline, %s))""",
            [now, never, never],
        )
        lap("states")
        school_filter, school_params = _school_filter(state_t, school_id)
        # Pairs no longer approved (declined, the CI left the group or retired) are no longer judged.
        cursor.execute(
            f"""DELETE FROM {state_t} WHERE NOT EXISTS (
                SELECT 1 FROM {TEMP} c WHERE c.ci_id = {state_t}.ci_id AND c.update_id = {state_t}.update_id
            ){school_filter}""",
            school_params,
        )
        daily_filter, daily_params = _school_filter(daily_t, school_id)
        cursor.execute(f"DELETE FROM {daily_t} WHERE day = %s{daily_filter}", [today, *daily_params])
        cursor.execute(
            f"""INSERT INTO {daily_t} (school_id, day, state, count)
            SELECT school_id, %s, state, COUNT(*) FROM {state_t} WHERE 1 = 1{school_filter}
            GROUP BY school_id, state""",
            [today, *school_params],
        )
        for table in (TEMP, EVIDENCE, TARGETS):
            cursor.execute(f"DROP TABLE {table}")
    lap("removed and counted")
    raised = raise_overdue_tasks(school_id=school_id)
    lap("tasks")
    run.finished_at = timezone.now()
    run.duration_ms = int((time.monotonic() - clock) * 1000)
    run.rows, run.changed, run.tasks_raised = rows, changed, raised
    run.save(update_fields=["finished_at", "duration_ms", "rows", "changed", "tasks_raised"])
    return RunResult(run=run, rows=rows, changed=changed, tasks_raised=raised, timings=timings)


def raise_overdue_tasks(*, school_id: int | None = None) -> int:
    """One task per CI and overdue critical update (source_key "patch:CI:UPDATE"), whatever the number of runs:
    a pair that has its task is not visited again."""
    from incidents.models import TaskOrigin
    from incidents.task_services import task_raise

    due = (
        ComplianceState.objects.filter(state=State.OVERDUE, update__severity=Severity.CRITICAL, task__isnull=True)
        .select_related("school", "ci", "update")
        .order_by("pk")
    )
    if school_id is not None:
        due = due.filter(school_id=school_id)
    raised = 0
    for row in due.iterator(chunk_size=500):
        update = row.update
        version = f" {update.min_version} or later" if update.min_version else ""
        task = task_raise(
            school=row.school,
            title=f"Install {update.identifier}{version} on {row.ci.name}"[:200],
            origin=TaskOrigin.PATCH,
            description=(
                f"Patch Management: the critical update {update} ({update.product}) was due on {row.deadline} and "
                f"{row.ci.name} does not have it"
                + (f" (it reports {row.installed_version})." if row.installed_version else ".")
            ),
            steps=[f"Install {update.identifier}{version}", "Check the next inventory shows it installed"],
            due_on=timezone.localdate(),
            ci=row.ci,
            source=update,
            source_key=f"patch:{row.ci_id}:{update.pk}",
        )
        ComplianceState.objects.filter(pk=row.pk).update(task=task)
        raised += 1
    return raised
