"""Service Level Management records (FITS Service Level).

Calendars that know schools: an authority's calendar (working hours, term dates, INSET days and
closures) that each of its schools may override with its own. Bank holidays are not stored: they come
from the `holidays` package for the calendar's nation (servicelevels.calendars).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from fits.models import Nation
from fits.scoping import SharedOwned


class Calendar(SharedOwned):
    """When a school is open: its own calendar, else its authority's, else the built-in default.

    A school's calendar overrides its authority's part by part: its working hours if it has any, its
    term dates if it has any; closures (INSET days, snow days) of both apply.
    """

    name = models.CharField(max_length=100)
    nation = models.CharField(
        max_length=3,
        choices=Nation.choices,
        blank=True,
        help_text="Whose bank holidays apply. Leave empty to use the authority's nation.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school"], condition=models.Q(school__isnull=False), name="one_calendar_per_school"
            ),
            models.UniqueConstraint(
                fields=["authority"],
                condition=models.Q(school__isnull=True, authority__isnull=False),
                name="one_calendar_per_authority",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("servicelevels:calendar_detail", args=[self.pk])


class WorkingHours(models.Model):
    """A span of a weekday when support works (several a day, e.g. 08:00-12:00 and 13:00-17:00)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["calendar", "weekday", "opens"]
        verbose_name_plural = "working hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"

    def clean(self) -> None:
        if self.opens is not None and self.closes is not None and self.opens >= self.closes:
            raise ValidationError({"closes": "Closing time must be after opening time."})


class TermDate(models.Model):
    """A term or half-term span when the school is open (e.g. "Autumn 1", 2026-27)."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="terms")
    school_year = models.CharField(max_length=7, help_text='e.g. "2026-27".')
    name = models.CharField(max_length=100)
    starts = models.DateField()
    ends = models.DateField(help_text="The last day of the span (inclusive).")
    provisional = models.BooleanField(
        default=False,
        help_text="Rolled over from last year (shifted by 52 weeks): check it against the authority's dates.",
    )

    class Meta:
        ordering = ["calendar", "starts"]

    def __str__(self) -> str:
        return f"{self.name} {self.school_year}"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": "A term cannot end before it starts."})


class Closure(models.Model):
    """A day or days that differ from the pattern: INSET days, a bank holiday worked, a snow closure."""

    class Kind(models.TextChoices):
        INSET = "inset", "INSET day"
        BANK_HOLIDAY = "bank_holiday", "Bank holiday override"
        CLOSURE = "closure", "Closure"
        OTHER = "other", "Other"

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="closures")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLOSURE)
    name = models.CharField(max_length=100)
    starts = models.DateField()
    ends = models.DateField(help_text="The last day (inclusive); the same as the first for one day.")
    staff_working = models.BooleanField(
        default=False,
        help_text="Closed to pupils but staff work, so support's clock runs (INSET days; a bank holiday "
        "the school works). Unticked: nobody works (snow, an extra bank holiday).",
    )

    class Meta:
        ordering = ["calendar", "starts"]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts:%d %b %Y})"

    def clean(self) -> None:
        if self.starts and self.ends and self.ends < self.starts:
            raise ValidationError({"ends": "A closure cannot end before it starts."})
