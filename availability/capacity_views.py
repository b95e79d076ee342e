"""Pages of Capacity Management: the series that fill up (fullest first, with their trend and forecast), one
series' history with its threshold and forecast lines, and the capacity thresholds.

Reads start from `visible_to(user)`; figures come from availability/capacity.py (trends, thresholds) and every
write goes through its threshold services.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import DetailView, FormView, ListView

from availability import capacity
from availability.capacity_forms import CapacityFilterForm, ThresholdForm
from availability.models import CapacityAlert, CapacityThreshold, Metric, MetricRollup, Period
from availability.views import MonitoringAccessMixin, _may_manage, _report  # the monitoring pages' own
from fits import access
from fits.views import ScopedViewMixin, ServiceErrorMixin

HISTORY_DAYS = 90  # the metric page's chart
ALERTS_SHOWN = 10


def _annotate(metrics: list[Metric], user, now: datetime) -> None:
    """Give each row its threshold, trend, forecast words and open alert (four queries for the lot)."""
    limits = capacity.limits_for(metrics)
    trends = capacity.trends(metrics, now, limits)
    alerts = {
        alert.metric_id: alert
        for alert in CapacityAlert.objects.visible_to(user)
        .filter(metric__in=[m.pk for m in metrics], cleared_at__isnull=True)
        .select_related("task", "incident")
    }
    today = timezone.localdate(now)
    for metric in metrics:
        metric.limits = limits.get(metric.pk)
        metric.trend = trends.get(metric.pk)
        full_on = metric.trend.full_on if metric.trend else None
        metric.forecast_text = capacity.forecast_words(full_on, today, metric.kind)
        metric.alert = alerts.get(metric.pk)
        metric.level = _level_of(metric)


def _level_of(metric: Metric) -> str:
    """The colour of the row's bar: over critical, over warning, or fine."""
    limits, percent = metric.limits, metric.last_percent
    if limits is None or percent is None:
        return "ok"
    if percent >= limits.critical_percent:
        return "critical"
    return "warning" if percent >= limits.warning_percent else "ok"


# =============================================================================
# The capacity list and one series
# =============================================================================


class MetricViewMixin(MonitoringAccessMixin, ScopedViewMixin):
    model = Metric


class CapacityView(MetricViewMixin, ListView):
    """Every series with a capacity, fullest first: how full now, how fast it grows, when it will be full."""

    template_name = "availability/capacity.html"
    context_object_name = "metrics"
    paginate_by = 25

    def get_queryset(self):
        queryset = super().get_queryset().filter(capacity__isnull=False, last_percent__isnull=False)
        queryset = queryset.select_related("ci", "school").order_by("-last_percent", "pk")
        self.filter_form = CapacityFilterForm(self.request.GET or None, user=self.request.user)
        if self.filter_form.is_bound and not self.filter_form.is_valid():
            return queryset.none()  # a school the viewer cannot see: nothing, as if it had no series
        data = self.filter_form.cleaned_data if self.filter_form.is_bound else {}
        if data.get("kind"):
            queryset = queryset.filter(kind=data["kind"])
        if data.get("school"):
            queryset = queryset.of_school(data["school"].pk)
        if data.get("q"):
            queryset = queryset.filter(Q(ci__name__icontains=data["q"]) | Q(label__icontains=data["q"]))
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        _annotate(context["metrics"], self.request.user, timezone.now())
        context.update(filter_form=self.filter_form, can_manage=_may_manage(self.request))
        return context


class CapacityMetricView(MetricViewMixin, DetailView):
    """One series: 90 days of daily average and peak, its warning and critical lines, and the forecast line."""

    narrow_to_current_school = False
    template_name = "availability/capacity_metric.html"
    context_object_name = "metric"

    def get_queryset(self):
        return super().get_queryset().select_related("ci", "school", "for_check")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        metric, user, now = self.object, self.request.user, timezone.now()
        _annotate([metric], user, now)
        today = timezone.localdate(now)
        since = timezone.make_aware(datetime.combine(today - timedelta(days=HISTORY_DAYS), time.min))
        days = list(
            MetricRollup.objects.visible_to(user)
            .filter(metric=metric, period=Period.DAY, starts_at__gte=since)
            .order_by("starts_at")
        )
        alerts = (
            CapacityAlert.objects.visible_to(user)
            .filter(metric=metric)
            .select_related("task", "incident")
            .order_by("-opened_at")[:ALERTS_SHOWN]
        )
        context.update(
            days=days,
            recent_days=list(reversed(days[-14:])),
            alerts=alerts,
            chart_data=chart_data(metric, days, today),
            can_manage=access.can_manage_monitoring.test(user, metric),
        )
        return context


def chart_data(metric: Metric, days: list[MetricRollup], today) -> dict[str, Any]:
    """What availability/static/availability/capacity_chart.js draws: daily average and peak (per cent of the
    capacity, or the value in its unit for a series without one), the threshold lines and the forecast line."""
    by_percent = bool(metric.capacity)
    points = {timezone.localdate(day.starts_at): day for day in days}
    trend, limits = getattr(metric, "trend", None), getattr(metric, "limits", None)
    last = today
    if by_percent and trend and trend.full_on:
        last = min(trend.full_on, today + timedelta(days=HISTORY_DAYS))
    first = min([*points, today])
    labels, average, peak = [], [], []
    day = first
    while day <= last:
        row = points.get(day)
        labels.append(day.isoformat())
        if row is None:
            average.append(None)
            peak.append(None)
        elif by_percent:
            average.append(_round(row.percent_avg))
            peak.append(_round(row.percent_max))
        else:
            average.append(_round(row.avg))
            peak.append(_round(row.max))
        day += timedelta(days=1)
    data: dict[str, Any] = {
        "labels": labels,
        "average": average,
        "peak": peak,
        "unit": "%" if by_percent else metric.unit,
        "title": f"{metric.label} on {metric.ci}",
    }
    if by_percent and limits is not None:
        data["warning"], data["critical"] = limits.warning_percent, limits.critical_percent
    if by_percent and trend and trend.full_on and trend.full_on > today and limits is not None:
        # From today's figure to the critical level on the forecast day: a straight dashed line.
        forecast = [None] * len(labels)
        forecast[(today - first).days] = _round(metric.last_percent)
        end = (last - first).days
        reached = metric.last_percent + trend.per_day * (end - (today - first).days)
        forecast[end] = _round(min(reached, limits.critical_percent))
        data["forecast"] = forecast
    return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# =============================================================================
# Thresholds
# =============================================================================


class ThresholdViewMixin(MonitoringAccessMixin, ScopedViewMixin):
    model = CapacityThreshold


class ThresholdListView(ThresholdViewMixin, ListView):
    """The school's thresholds (for every CI, and for single CIs), and the built-in ones they override."""

    template_name = "availability/threshold_list.html"
    context_object_name = "thresholds"
    paginate_by = 50

    def get_queryset(self):
        return super().get_queryset().select_related("school", "ci").order_by("school__name", "kind", "ci__name", "pk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        defaults = [
            (kind.label, warning, critical, capacity.DEFAULT_FORECAST_DAYS)
            for kind, (warning, critical) in capacity.DEFAULT_THRESHOLDS.items()
        ]
        context.update(defaults=defaults, can_manage=_may_manage(self.request))
        return context


THRESHOLD_FIELDS = ("kind", "ci", "warning_percent", "critical_percent", "forecast_days")


class ThresholdFormMixin(MonitoringAccessMixin):
    form_class = ThresholdForm
    template_name = "availability/threshold_form.html"

    def get_form_kwargs(self):
        threshold = getattr(self, "object", None)
        kwargs = {**super().get_form_kwargs(), "user": self.request.user, "threshold": threshold}
        return {**kwargs, "school": getattr(self.request, "school", None)}

    def form_valid(self, form):
        data = {name: form.cleaned_data[name] for name in THRESHOLD_FIELDS}
        threshold = getattr(self, "object", None)
        school = threshold.school if threshold is not None else form.cleaned_data["school"]
        try:
            threshold = capacity.threshold_save(actor=self.request.user, school=school, threshold=threshold, **data)
        except (ValidationError, PermissionDenied) as error:
            _report(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"Capacity threshold saved: {threshold} at {school}.")
        return redirect("availability:threshold_list")


class ThresholdCreateView(LoginRequiredMixin, ThresholdFormMixin, FormView):
    def get(self, request, *args, **kwargs):
        form = self.get_form()
        if not form.fields["school"].queryset.exists():
            messages.error(request, "The school's technicians set its capacity thresholds.")
            return redirect("availability:threshold_list")
        return self.render_to_response(self.get_context_data(form=form))


class ThresholdObjectMixin(ThresholdViewMixin):
    """One threshold the viewer can see (404 otherwise), and whether they may change it."""

    narrow_to_current_school = False

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            try:
                self.object = self.get_queryset().select_related("school", "ci").get(pk=kwargs["pk"])
            except CapacityThreshold.DoesNotExist:
                raise Http404("No such capacity threshold.") from None
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            threshold=self.object, may_change=access.can_manage_monitoring.test(self.request.user, self.object)
        )
        return context


class ThresholdUpdateView(ThresholdObjectMixin, ThresholdFormMixin, FormView):
    def get_initial(self):
        return {name: getattr(self.object, name) for name in THRESHOLD_FIELDS}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not access.can_manage_monitoring.test(self.request.user, self.object):
            for field in form.fields.values():
                field.disabled = True  # shown as it is; the service refuses a change anyway
        return form


class ThresholdDeleteView(ThresholdObjectMixin, ServiceErrorMixin, DetailView):
    """Ask first; removing it puts the series back on the school's (or the built-in) levels."""

    template_name = "availability/threshold_confirm_delete.html"

    def get_object(self, queryset=None):
        return self.object

    def post(self, request, *args, **kwargs):
        try:
            capacity.threshold_delete(actor=request.user, threshold=self.object)
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(request, f"Capacity threshold removed: {self.object} at {self.object.school}.")
        return redirect("availability:threshold_list")
