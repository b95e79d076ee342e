"""The CLI contracts of DESIGN.md 6: seed_demo and setup_schedules, both safe to run again."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from fits.management.commands.seed_demo import WEEK
from fits.models import Activity, Authority, AuthorityRole, Membership, Role, School, User
from fits.schedules import DEFAULT_SCHEDULES
from incidents.models import Incident

pytestmark = pytest.mark.django_db

LOGINS = {
    "admin": None,
    "consultant": None,
    "leader": ("highfield", Role.SCHOOL_LEADER),
    "netmgr": ("highfield", Role.NETWORK_MANAGER),
    "tech": ("highfield", Role.TECHNICIAN),
    "desk": ("highfield", Role.DESK),
    "staff": ("highfield", Role.ICT_USER),
    "tech2": ("riverside", Role.TECHNICIAN),
    "outsider": ("westfield", Role.TECHNICIAN),
}


def week_of(**filters):
    """The demo week's incidents (WEEK), not the other tickets the demo logs (requests, a major incident...)."""
    return Incident.objects.filter(title__in={row[3] for row in WEEK}, **filters)


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Authority, School, User, Membership, AuthorityRole, Incident, Activity)
    }


@pytest.fixture
def demo(seeded_demo, db) -> str:
    return seeded_demo


def test_seed_demo_creates_the_authorities_and_schools(demo):
    assert "Demo ready: 3 schools, 21 incidents added." in demo
    assert set(Authority.objects.values_list("slug", flat=True)) == {"bolton", "wigan"}
    schools = dict(School.objects.values_list("slug", "authority__slug"))
    assert schools == {"highfield": "bolton", "riverside": "bolton", "westfield": "wigan"}


def test_seed_demo_logins_sign_in_with_their_username_as_password(demo):
    for username in LOGINS:
        user = authenticate(username=username, password=username)
        assert user is not None, f"{username} cannot sign in with the demo password"
        assert user.username == username


def test_seed_demo_gives_each_login_its_role(demo):
    for username, where in LOGINS.items():
        user = User.objects.get(username=username)
        if where is not None:
            school, role = where
            assert set(user.membership_set.values_list("school__slug", "role")) == {(school, role)}
    assert User.objects.get(username="admin").is_superuser
    # The only other superuser is the product's own account, which nobody can sign in as (fits.models).
    assert not User.objects.filter(is_superuser=True, is_system_account=False).exclude(username="admin").exists()
    consultant = User.objects.get(username="consultant")
    assert list(consultant.authorityrole_set.values_list("authority__slug", "role")) == [("bolton", "consultant")]
    assert consultant.membership_set.count() == 0


def test_seed_demo_callers_cannot_sign_in(demo):
    caller = User.objects.get(username="mrs.patel")
    assert not caller.has_usable_password()
    assert authenticate(username="mrs.patel", password="mrs.patel") is None


def test_seed_demo_logs_a_week_of_incidents_at_each_school(demo):
    week_ago = timezone.now() - timedelta(days=7)
    for school in School.objects.all():
        incidents = week_of(school=school)
        assert incidents.count() == 7
        assert not incidents.filter(created_at__lt=week_ago).exists()
        days = {timezone.localtime(i.created_at).date() for i in incidents}
        # One a day (today's is moved back to half an hour ago if its hour has not come yet).
        assert len(days) >= 6, f"{school.slug}: incidents are not spread over the week"
        references = sorted(incidents.values_list("reference", flat=True))
        assert references == [f"INC-{n:06d}" for n in range(1, 8)]
        # A believable mix: some open, some resolved, one closed by its caller.
        statuses = set(incidents.values_list("status", flat=True))
        assert {"new", "in_progress", "on_hold", "resolved", "closed", "assigned"} <= statuses


def test_seed_demo_timelines_follow_the_story(demo):
    closed = week_of(school__slug="highfield").get(status="closed")
    timeline = Activity.objects.filter(object_id=closed.pk, school=closed.school, content_type__model="incident")
    kinds = list(timeline.values_list("kind", "changes"))
    assert [kind for kind, _ in kinds] == ["created", "status", "status", "status"]
    assert kinds[-1][1] == {"status": ["resolved", "closed"]}
    assert closed.resolved_at <= closed.closed_at
    assert closed.created_at <= closed.resolved_at


def test_seed_demo_twice_duplicates_nothing(demo):
    before = snapshot()
    second = seed()
    assert "0 incidents added" in second
    assert snapshot() == before
    assert authenticate(username="tech", password="tech") is not None


def test_seed_demo_fills_in_a_school_added_later_without_touching_the_others(demo):
    Incident.objects.filter(school__slug="westfield").delete()
    Activity.objects.filter(school__slug="westfield").delete()
    output = seed()
    assert "7 incidents added" in output
    assert week_of().count() == 21


# --- setup_schedules -----------------------------------------------------------


def test_setup_schedules_creates_the_default_periodic_tasks():
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    assert f"{len(DEFAULT_SCHEDULES)} default schedule(s) in place." in out.getvalue()
    for schedule in DEFAULT_SCHEDULES:
        task = PeriodicTask.objects.get(name=schedule.name)
        minute, hour, *_ = schedule.crontab.split()
        assert task.task == schedule.task
        assert (task.crontab.minute, task.crontab.hour) == (minute, hour)
        assert str(task.crontab.timezone) == "Europe/London"
        assert task.enabled


def test_setup_schedules_is_idempotent_and_resets_only_its_own_rows():
    call_command("setup_schedules", stdout=StringIO())
    counts = (PeriodicTask.objects.count(), CrontabSchedule.objects.count())
    default = PeriodicTask.objects.get(name=DEFAULT_SCHEDULES[0].name)
    default.task = "somebody.edited.this"
    default.save()
    mine = PeriodicTask.objects.create(
        name="Weekly backup report", task="storage.tasks.report", crontab=default.crontab
    )

    call_command("setup_schedules", stdout=StringIO())

    assert (PeriodicTask.objects.count(), CrontabSchedule.objects.count()) == (counts[0] + 1, counts[1])
    assert PeriodicTask.objects.get(name=DEFAULT_SCHEDULES[0].name).task == DEFAULT_SCHEDULES[0].task
    assert PeriodicTask.objects.get(pk=mine.pk).task == "storage.tasks.report"


def test_default_schedules_name_registered_tasks():
    from fits.celery import app

    app.loader.import_default_modules()
    for schedule in DEFAULT_SCHEDULES:
        assert schedule.task in app.tasks, f"{schedule.name}: no task called {schedule.task}"
