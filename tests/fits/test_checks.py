"""System checks that keep the scoping rule impossible to forget (fits/checks.py: fits.E001, fits.E002)."""

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from fits import checks
from fits.models import Membership, School
from fits.scoping import SchoolOwned, SchoolScopedManager


def errors_for(monkeypatch, registry) -> dict[str, str]:
    """Run the check over the models of `registry` only: {model label: error id}."""
    monkeypatch.setattr(checks, "apps", registry)
    return {error.obj._meta.label: error.id for error in checks.check_school_owned_models()}


@pytest.fixture
def registry():
    """A throwaway app registry, so the models a test builds never reach the project's."""
    with isolate_apps("fits") as apps:
        yield apps


def test_the_project_passes_its_own_checks():
    assert checks.check_school_owned_models() == []
    call_command("check", "--fail-level", "ERROR")


def test_e001_a_school_path_without_the_scoped_manager(monkeypatch, registry):
    class BackupJob(models.Model):  # noqa: DJ008 - a throwaway model
        """Reaches its school through a parent, but its manager cannot scope."""

        school_path = "server__school"

        class Meta:
            app_label = "fits"

    assert errors_for(monkeypatch, registry) == {"fits.BackupJob": "fits.E001"}
    (error,) = checks.check_school_owned_models()
    assert "default manager cannot scope" in error.msg
    assert "SchoolScopedQuerySet" in error.hint


def test_e001_also_catches_a_manager_replaced_on_a_school_owned_model(monkeypatch, registry):
    class Printer(SchoolOwned):
        objects = models.Manager()

        class Meta:
            app_label = "fits"

    assert errors_for(monkeypatch, registry) == {"fits.Printer": "fits.E001"}


def test_e002_a_school_foreign_key_on_a_model_that_is_not_school_owned(monkeypatch, registry):
    class Cable(models.Model):  # noqa: DJ008 - a throwaway model
        school = models.ForeignKey(School, on_delete=models.CASCADE)

        class Meta:
            app_label = "fits"

    assert errors_for(monkeypatch, registry) == {"fits.Cable": "fits.E002"}
    (error,) = checks.check_school_owned_models()
    assert "belongs to a school but is not school-owned" in error.msg
    assert "SchoolOwned" in error.hint


def test_school_owned_models_pass(monkeypatch, registry):
    class Switch(SchoolOwned):
        class Meta:
            app_label = "fits"

    class Port(models.Model):  # noqa: DJ008 - a throwaway model
        school_path = "switch__school"
        objects = SchoolScopedManager()

        class Meta:
            app_label = "fits"

    assert errors_for(monkeypatch, registry) == {}


def test_membership_relates_people_to_schools_and_is_exempt():
    assert Membership._meta.label in checks.NOT_SCHOOL_OWNED
    assert checks.check_school_owned_models() == []
