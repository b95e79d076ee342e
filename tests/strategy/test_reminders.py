"""The review reminder: once the review date of a strategy in force passes, its network managers are told, once."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from fits.models import Notification
from fits.strategy import services
from fits.strategy.tasks import strategy_reviews_remind_task

pytestmark = pytest.mark.django_db


def test_the_network_manager_is_told_once_when_the_review_date_passes(
    support, sign_all, netmgr, mailoutbox, django_capture_on_commit_callbacks
):
    services.strategy_dates_set(document=support, draft_date=date(2026, 1, 5), review_date=date(2026, 12, 1),
                                actor=netmgr)  # fmt: skip
    sign_all(support)
    assert services.strategy_reviews_remind(today=date(2026, 12, 1)) == 0  # due today: not passed yet
    with django_capture_on_commit_callbacks(execute=True):
        assert services.strategy_reviews_remind(today=date(2026, 12, 2)) == 1
    notice = Notification.objects.get(recipient=netmgr, event="review_due")
    assert "Technical support strategy" in notice.title and notice.url == support.get_absolute_url()
    assert "was due for review on 01 December 2026" in notice.text
    assert services.strategy_reviews_remind(today=date(2026, 12, 3)) == 0  # remembered
    assert Notification.objects.filter(event="review_due").count() == 1
    assert len(mailoutbox) == 1 and "netmgr@example.sch.uk" in mailoutbox[0].to


def test_a_draft_is_not_reminded(support, netmgr):
    services.strategy_dates_set(document=support, draft_date=date(2026, 1, 5), review_date=date(2026, 2, 1),
                                actor=netmgr)  # fmt: skip
    assert services.strategy_reviews_remind(today=date(2026, 3, 1)) == 0


def test_the_daily_task_runs_the_service(support, sign_all, netmgr):
    today = timezone.localdate()
    services.strategy_dates_set(document=support, draft_date=today - timedelta(days=400),
                                review_date=today - timedelta(days=1), actor=netmgr)  # fmt: skip
    sign_all(support)
    assert strategy_reviews_remind_task() == 1
    assert strategy_reviews_remind_task() == 0
    from fits.schedules import DEFAULT_SCHEDULES

    assert "fits.strategy.tasks.strategy_reviews_remind_task" in {s.task for s in DEFAULT_SCHEDULES}
