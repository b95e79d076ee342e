"""The default periodic tasks: one list, applied idempotently by `manage.py setup_schedules`.

Schedules live in the database (django-celery-beat), so an administrator can change them in the
admin; applying the defaults again resets only the rows named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction


@dataclass(frozen=True)
class Schedule:
    name: str
    task: str
    crontab: str  # minute hour day_of_month month_of_year day_of_week
    description: str


DEFAULT_SCHEDULES = [
    Schedule(
        name="Send the daily notification digests",
        task="fits.tasks.notification_digest_task",
        crontab="0 7 * * *",  # at 07:00 every day (crontab.guru: "At 07:00")
        description="One e-mail to each person who chose a daily digest, with their notifications of the "
        "last day that have not been e-mailed.",
    ),
    Schedule(
        name="Close incidents the caller has not answered",
        task="incidents.tasks.incident_close_unconfirmed_task",
        crontab="15 6 * * *",  # at 06:15 every day (crontab.guru: "At 06:15")
        description="FITS closure: a resolution the caller has not confirmed or disputed within the "
        "grace period (FITS_AUTO_CLOSE_DAYS) is closed.",
    ),
    Schedule(
        name="Spot recurring incidents",
        task="problems.tasks.problem_candidates_spot_task",
        crontab="40 * * * *",  # at minute 40 of every hour
        description="Proactive Problem Management: incidents recurring on one CI or in one category "
        "(each school's threshold) raise a candidate problem for a technician to review.",
    ),
    Schedule(
        name="Detect service-level warnings and breaches",
        task="servicelevels.tasks.detect_breaches",
        crontab="* * * * *",  # every minute (crontab.guru: "At every minute")
        description="SLA clocks: tickets whose response or resolution target reaches its warning share, "
        "its due time or its escalation share are recorded once each, and the assignee, the group, the "
        "network manager and the LEA are told as the level requires.",
    ),
    Schedule(
        name="Read the support mailboxes",
        task="servicedesk.tasks.mailboxes_poll_task",
        crontab="*/2 * * * *",  # every 2 minutes (crontab.guru: "At every 2nd minute")
        description="E-mail intake: each school's active support mailbox is read over IMAP; new mail opens "
        "tickets, replies are added to theirs (one task per mailbox, so one failing stops no other).",
    ),
    Schedule(
        name="Roll up today's service-level figures",
        task="servicelevels.tasks.rollup_recent",
        crontab="*/15 * * * *",  # every 15 minutes (crontab.guru: "At every 15th minute")
        description="Service Level dashboards: today's and yesterday's figures per school, priority, kind and "
        "service are rebuilt from the tickets (DailyFigures).",
    ),
    Schedule(
        name="Roll up the last week's service-level figures",
        task="servicelevels.tasks.rollup_week",
        crontab="30 2 * * *",  # at 02:30 every day (crontab.guru: "At 02:30")
        description="Service Level dashboards: the last seven days' figures are rebuilt, catching late "
        "satisfaction answers and resolutions confirmed after the day.",
    ),
    Schedule(
        name="Remind of service-level reviews",
        task="servicelevels.tasks.remind_reviews",
        crontab="0 8 * * *",  # at 08:00 every day (crontab.guru: "At 08:00")
        description="Service Level Management: agreements' owners, and the LEA's consultants for traded-services "
        "subscriptions, are told 30 and 7 days before a review date and once it is overdue (each reminder once).",
    ),
    Schedule(
        name="Propose monitoring checks for new devices",
        task="availability.tasks.propose_checks_all_task",
        crontab="25 * * * *",  # at minute 25 of every hour
        description="Availability Management: live CIs with a management address and no checks yet get the "
        "checks that suit their kind (a switch: ping and SNMP; a server: ping and its services), proposed for a "
        "technician to switch on.",
    ),
    Schedule(
        name="Dispatch the due monitoring checks",
        task="availability.tasks.dispatch_due_checks_task",
        crontab="* * * * *",  # every minute (crontab.guru: "At every minute")
        description="Availability Management: the checks whose interval has come round are leased into batches "
        "and sent to their school's monitoring queue (the shared one, or the school's own poller).",
    ),
    Schedule(
        name="Roll up monitoring results",
        task="availability.tasks.rollup_monitoring_task",
        crontab="5 * * * *",  # at minute 5 of every hour (crontab.guru: "At minute 5")
        description="Availability and Capacity history: raw check results and capacity samples of the last hours "
        "and days become hourly and daily rollups (recomputed, so a missed run is caught up).",
    ),
    Schedule(
        name="Prune old monitoring results",
        task="availability.tasks.prune_monitoring_task",
        crontab="20 3 * * *",  # at 03:20 every day (crontab.guru: "At 03:20")
        description="Raw check results and samples older than each school's raw retention, and hourly rollups "
        "older than its hourly retention, are deleted in batches; daily rollups stay.",
    ),
    Schedule(
        name="Raise preventative maintenance tasks",
        task="availability.tasks.maintenance_raise_due_task",
        crontab="30 5 * * *",  # at 05:30 every day (crontab.guru: "At 05:30")
        description="Preventative maintenance: each schedule's task (with its checklist) is raised its lead days "
        "before the occurrence is due, on a day the school is open; running again raises nothing new.",
    ),
    Schedule(
        name="Tell people of overdue tasks",
        task="incidents.tasks.tasks_overdue_task",
        crontab="45 7 * * *",  # at 07:45 every day (crontab.guru: "At 07:45")
        description="Tasks: each open task past its due date is told once to its assignee, else its group's "
        "members, else the school's network managers.",
    ),
    # Patch Management (om.patches)
    Schedule(
        name="Check patch compliance",
        task="om.patches.tasks.compliance_compute_task",
        crontab="10 * * * *",  # at minute 10 of every hour (crontab.guru: "At minute 10")
        description="Patch Management: each CI's state for each update approved for it (compliant, missing, "
        "overdue, not reporting) is computed in SQL from the inventory and imported reports, with history and the "
        "day's counts; an overdue critical update raises one task per device.",
    ),
    # Security Administration (om.security)
    Schedule(
        name="Raise firewall rule reviews",
        task="om.security.tasks.firewall_reviews_raise_task",
        crontab="35 5 * * *",  # at 05:35 every day (crontab.guru: "At 05:35")
        description="Security: each firewall or filtering rule whose review falls due within two weeks gets one "
        "review task (for its owner); running again raises nothing new.",
    ),
    Schedule(
        name="Warn of ICO breach deadlines",
        task="om.security.tasks.breaches_warn_deadline_task",
        crontab="15 * * * *",  # at minute 15 of every hour (crontab.guru: "At minute 15")
        description="Security: a breach that may have to be reported, neither reported to the ICO nor ruled out 48 "
        "hours after it was found, is told once to the school's network managers and leaders.",
    ),
    Schedule(
        name="Refresh antivirus status from inventories",
        task="om.security.tasks.antivirus_refresh_task",
        crontab="50 * * * *",  # at minute 50 of every hour (crontab.guru: "At minute 50")
        description="Security: each computer's antivirus status (product, enabled, up to date) is read from its "
        "latest agent inventory.",
    ),
    # Storage Management (om.storage)
    Schedule(
        name="Find missed backups",
        task="om.storage.tasks.backups_check_missed_task",
        crontab="*/15 * * * *",  # every 15 minutes (crontab.guru: "At every 15th minute")
        description="Storage: an active backup job whose scheduled run and grace have passed with no result opens "
        "one 'backup missed' incident (or a note on the job's open one); each run is found missed once.",
    ),
    Schedule(
        name="Raise overdue off-site copies",
        task="om.storage.tasks.offsite_copies_check_task",
        crontab="40 5 * * *",  # at 05:40 every day (crontab.guru: "At 05:40")
        description="Storage: a backup job whose off-site copy is overdue gets one task per due date.",
    ),
    Schedule(
        name="Raise termly restore tests",
        task="om.storage.tasks.restore_tests_raise_task",
        crontab="45 5 * * 1-5",  # at 05:45 on weekdays (crontab.guru: "At 05:45 on every day-of-week from Monday
        # through Friday")
        description="Storage: in term time, each active backup job with no restore test this term gets one task, "
        "due at the end of the term.",
    ),
    # Service Continuity Management (continuity)
    Schedule(
        name="Raise overdue continuity reviews and tests",
        task="continuity.tasks.continuity_reminders_task",
        crontab="50 5 * * *",  # at 05:50 every day (crontab.guru: "At 05:50")
        description="Continuity: each recovery plan overdue for review or for a test, and each risk past its review "
        "date, gets one task per due date.",
    ),
    # Print and Output Management (om.printing)
    Schedule(
        name="Read printers' supplies and page counts",
        task="om.printing.tasks.printers_read_task",
        crontab="*/30 * * * *",  # every 30 minutes (crontab.guru: "At every 30th minute")
        description="Printing: every printer's supply levels and page counter are read over SNMP (Printer-MIB); a "
        "supply at or below the threshold, or forecast to run out within the lead time, raises one replenishment task.",
    ),
    Schedule(
        name="Prune old printer readings",
        task="om.printing.tasks.readings_prune_task",
        crontab="40 2 * * *",  # at 02:40 every day (crontab.guru: "At 02:40")
        description="Printing: supply and page-count readings older than the school's retention go (daily usage "
        "stays).",
    ),
    Schedule(
        name="Synchronise school directories",
        task="om.directory.tasks.directory_sync_all_task",
        crontab="15 * * * *",  # at minute 15 of every hour (crontab.guru: "At minute 15")
        description="Directory services: each school whose directory settings have sync on is synchronised (users, "
        "groups, OUs, computers), one run at a time per school.",
    ),
    # Financial Management (finance)
    Schedule(
        name="Raise contract renewal alerts",
        task="finance.tasks.contracts_check_notice_task",
        crontab="55 5 * * *",  # at 05:55 every day (crontab.guru: "At 05:55")
        description="Finance: each contract whose notice date is within the school's alert days (60 by default) "
        "gets one renewal task per end date, and its owner is told.",
    ),
    # ICT strategy and technical support strategy (fits.strategy)
    Schedule(
        name="Remind of strategy reviews",
        task="fits.strategy.tasks.strategy_reviews_remind_task",
        crontab="55 5 * * *",  # at 05:55 every day (crontab.guru: "At 05:55")
        description="Strategy: the network managers of each school whose approved ICT or technical support strategy "
        "has passed its review date are told once per review date (in the app and by e-mail).",
    ),
]


@transaction.atomic
def apply_default_schedules() -> list[str]:
    """Create or update the default periodic tasks; returns their names."""
    from django_celery_beat.models import CrontabSchedule, PeriodicTask

    for schedule in DEFAULT_SCHEDULES:
        minute, hour, day_of_month, month_of_year, day_of_week = schedule.crontab.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone="Europe/London",
        )
        PeriodicTask.objects.update_or_create(
            name=schedule.name,
            defaults={"task": schedule.task, "crontab": crontab, "interval": None, "description": schedule.description},
        )
    return [s.name for s in DEFAULT_SCHEDULES]
