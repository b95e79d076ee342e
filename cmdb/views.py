"""Pages of Configuration Management: thin views that parse, call a service, and render.

The CMDB is for support staff (DESIGN.md 1): the service desk and school leaders read it, technicians
and the network manager keep it. Anyone else gets 404, as if it were not there.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from django.apps import apps
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.module_loading import import_string
from django.views.generic import DetailView, FormView, ListView, View
from django.views.generic.detail import SingleObjectMixin
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from cmdb import services
from cmdb.filters import (
    GROUP_SLUGS,
    ConfigurationItemFilterSet,
    LicenceFilterSet,
    LocationFilterSet,
    locations_by_path,
)
from cmdb.forms import (
    KIND_CHOICES,
    CableForm,
    ConfigurationItemForm,
    InstallForm,
    LicenceForm,
    LocationForm,
    PortEditForm,
    PortForm,
    RelationshipForm,
    SeatForm,
    SoftwareProductForm,
    TransitionForm,
    manageable_schools,
    report_service_error,
)
from cmdb.history import ci_history
from cmdb.models import (
    KIND_ATTRIBUTES,
    KIND_GROUPS,
    PASSIVE_KINDS,
    Cable,
    ConfigurationItem,
    Kind,
    Licence,
    LicenceSeat,
    Location,
    Port,
    PortKind,
    Relationship,
    SoftwareInstallation,
    SoftwareProduct,
    count_capped,
)
from cmdb.tables import ConfigurationItemTable, LicenceTable, SoftwareTable
from cmdb.topology import Impact, depends_on, impact, trace
from fits import access
from fits.activity import timeline
from fits.pagination import COUNT_CAP, MAX_PER_PAGE, PageByIds
from fits.scoping import schools_visible_to
from fits.views import ScopedViewMixin, ServiceErrorMixin


class CMDBViewMixin(ScopedViewMixin):
    """Pages of the CMDB: support staff only; everyone else is answered 404."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and not access.here_or_anywhere(access.can_view_cmdb).test(user, None):
            raise Http404("The CMDB is for the school's support staff.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def can_manage_here(self) -> bool:
        """May change the CMDB at the chosen school (or at any of theirs, when none is chosen)."""
        return access.here_or_anywhere(access.can_manage_cmdb).test(self.request.user, self.request.school)


def natural_key(text: str) -> list[Any]:
    """ "gi1/0/10" after "gi1/0/9": numbers in names compare as numbers."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


# =============================================================================
# Configuration items: list, detail, lifecycle
# =============================================================================


# Above this many rooms over several schools, the location filter waits until a school is chosen.
LOCATION_OPTIONS_MAX = 1_000


def _options(choices) -> str:
    """<option>s of a filter's select from (value, label, selected), as the template loop wrote them, in one pass
    (an authority's 500 schools)."""
    rows = ((value, " selected" if on else "", label) for value, label, on in choices)
    return format_html_join("", '<option value="{}"{}>{}</option>', rows)


class ConfigurationItemListView(CMDBViewMixin, SingleTableMixin, FilterView):
    """Every configuration item of the chosen school(s), found by kind, state, place or any identifier."""

    model = ConfigurationItem
    table_class = ConfigurationItemTable
    filterset_class = ConfigurationItemFilterSet
    template_name = "cmdb/ci_list.html"
    paginate_by = 25
    paginator_class = PageByIds

    def get_queryset(self):
        return super().get_queryset().for_list()

    def paginate_queryset(self, queryset, page_size):
        # The table pages (and counts) the rows; the list view's own paginator would count 250,000 CIs again.
        return None, None, queryset, False

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table

    def get_table_pagination(self, table):
        """The table's count is the chosen tab's, counted with the tabs (no second count of the same rows)."""
        paginate = super().get_table_pagination(table)
        if self.tab_counts is not None and isinstance(table.data.data, QuerySet):
            table.data._length = self.tab_counts["list"]
        return paginate

    @cached_property
    def tab_counts(self) -> dict[str, Any] | None:
        """Each tab's count (up to COUNT_CAP + 1), and the list's own (up to the page asked for): one query.

        Each tab counts what the other filters leave, so a search says where its matches are; the list is
        the chosen tab's rows, so its count is the chosen tab's.
        """
        if self.filterset.is_bound and not self.filterset.is_valid():
            return None
        # Every filter of the list's own (validated) filterset but the group's: what the tabs divide.
        matching = super().get_queryset()
        if self.filterset.is_bound:
            for name, value in self.filterset.form.cleaned_data.items():
                if name != "group":
                    matching = self.filterset.filters[name].filter(matching, value)
        try:
            page = max(1, int(self.request.GET.get("page", 1)))
            per_page = min(max(1, int(self.request.GET.get("per_page", self.paginate_by))), MAX_PER_PAGE)
        except ValueError:
            page, per_page = 1, self.paginate_by
        cap = max(COUNT_CAP, page * per_page)  # a page far down the list counts as far as it
        chosen = self.request.GET.get("group", "")
        chosen = chosen if chosen in GROUP_SLUGS else ""
        subsets = {"": None} | {slug: [str(kind) for kind in kinds] for slug, (_, kinds) in GROUP_SLUGS.items()}
        # Only the chosen tab's count pages the list; the others say "10,000+" past COUNT_CAP, whatever the page.
        caps = {slug: cap if slug == chosen else COUNT_CAP for slug in subsets}
        counted = count_capped(matching, "kind", subsets, caps)  # ci_list_idx: school, kind, status
        return {"tabs": counted, "list": counted[chosen], "list_cap": cap}

    @property
    def count_shown(self) -> str:
        """The list's count when it was capped ("10,000+"); "" when it is exact."""
        counts = self.tab_counts
        if counts is None or counts["list"] <= counts["list_cap"]:
            return ""
        return f"{counts['list_cap']:,}+"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        counted = self.tab_counts["tabs"] if self.tab_counts else {}
        params = self.request.GET.copy()
        params.pop("page", None)
        chosen = params.pop("group", [""])[-1]
        tabs = []
        for slug, label in [("", "All")] + [(slug, label) for slug, (label, _) in GROUP_SLUGS.items()]:
            if slug:
                params["group"] = slug
            count = counted.get(slug, 0)
            more = count > COUNT_CAP
            tabs.append(
                {
                    "slug": slug,
                    "label": label,
                    "count": COUNT_CAP if more else count,
                    "more": more,
                    "url": f"?{params.urlencode()}",
                }
            )
        school = getattr(self.request, "school", None)
        locations = self.filterset.form.fields["location_id"].queryset.of_school(school.pk if school else None)
        schools = [] if school is not None else list(schools_visible_to(self.request.user).values_list("slug", "name"))
        several = len(schools) > 1
        if several:
            slugs = [slug for slug in self.request.GET.getlist("school") if slug]
            if slugs:  # the rooms of the schools the list is filtered to
                narrow = QueryDict(mutable=True)
                narrow.setlist("school", slugs)
                locations = LocationFilterSet(narrow, queryset=locations, request=self.request).qs
        # An authority's thousands of rooms: only the ones already chosen, until a school is.
        too_many = several and locations.order_by()[LOCATION_OPTIONS_MAX : LOCATION_OPTIONS_MAX + 1].exists()
        if too_many:
            picked = [pk for pk in self.request.GET.getlist("location_id") if pk.isdigit()]
            locations = locations.filter(pk__in=picked)
        options = locations.select_related("school")
        form = self.filterset.form
        picked_locations = form["location_id"].value() or []
        picked_schools = form["school"].value() or []
        context.update(
            location_options=_options(
                (loc.pk, f"{loc.path} ({loc.school.name})" if several else loc.path, str(loc.pk) in picked_locations)
                for loc in options
            ),
            locations_need_school=too_many,
            count_shown=self.count_shown,
            school_options=_options((slug, name, slug in picked_schools) for slug, name in schools) if several else "",
            can_manage=self.can_manage_here,
            group_tabs=tabs,
            chosen_group=chosen if chosen in GROUP_SLUGS else "",
            kind_choices=KIND_CHOICES,
            filtered=any(key not in ("page", "sort", "group") for key in self.request.GET),
        )
        return context


def linked_relations() -> list[Any]:
    """The process records that point at a CI (incidents today; problems and changes when they exist)."""
    found = []
    for relation in ConfigurationItem._meta.related_objects:
        model = relation.related_model
        config = apps.get_app_config(model._meta.app_label)
        if relation.one_to_many and getattr(config, "fits_group", None) == "processes" and config.label != "cmdb":
            if hasattr(model, "school_path") and not getattr(config, "ci_tab", None):
                found.append(relation)
    return found


def app_tabs(ci: ConfigurationItem | None = None) -> list[tuple[str, str, str]]:
    """(slug, label, dotted path of its context function) of the tabs apps add to a CI's page (to this CI's).

    An app with its own view of a CI (availability's Monitoring tab: state, checks, outages, metrics) declares
    `ci_tab = (slug, label, "app.views.function")` on its AppConfig, or `(slug, label, path, {kinds})` for a tab
    only some kinds of CI have (Systems Administration's server logbook); its records then stay off the generic
    records tab. The function is imported at run time, so cmdb never imports the apps above it.
    """
    tabs = [config.ci_tab for config in apps.get_app_configs() if getattr(config, "ci_tab", None)]
    return [tab[:3] for tab in tabs if ci is None or len(tab) < 4 or ci.kind in tab[3]]


DEPTH_HEADINGS = {1: "Directly", 2: "One step further", 3: "Two steps further"}


def lower_first(label: str) -> str:
    """ "Desktop computer" -> "desktop computer", but "ICT service" stays."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def rooms_by_building(result: Impact) -> list[tuple[str, list[Location]]]:
    """The rooms of an impact walk under their buildings: ("Main site / Junior block", [Classroom 4, ...])."""
    buildings: dict[str, list[Location]] = defaultdict(list)
    for room in result.rooms:
        buildings[room.parent.path if room.parent_id else ""].append(room)
    return [(name, sorted(rooms, key=lambda r: natural_key(r.name))) for name, rooms in sorted(buildings.items())]


def impact_levels(result: Impact) -> list[dict[str, Any]]:
    """An impact walk as the page reads it: by depth, then by the item the failure came through."""
    levels: dict[int, dict[int | None, dict[str, Any]]] = defaultdict(dict)
    for affected in result.items:
        via_key = affected.via.pk if affected.via is not None else None
        group = levels[affected.depth].setdefault(
            via_key, {"via": affected.via, "how": set(), "items": [], "kinds": Counter(), "rooms": {}}
        )
        group["items"].append(affected)
        group["how"].add(affected.how)
        group["kinds"][affected.ci.get_kind_display()] += 1
        if affected.ci.location_id:
            group["rooms"][affected.ci.location_id] = affected.ci.location.name
    shown = []
    for depth in sorted(levels):
        groups = []
        for group in levels[depth].values():
            via = group["via"].name if group["via"] else result.root.name
            relations = sorted(group["how"])
            if relations == ["is cabled to"]:
                group["label"] = f"Cabled behind {via}"
            elif "is cabled to" in relations:
                group["label"] = f"Cabled behind or relying on {via}"
            else:
                group["label"] = f"Relying on {via} ({', '.join(relations)})"
            group["kinds"] = [
                f"{n} × {lower_first(label)}" if n > 1 else lower_first(label)
                for label, n in group["kinds"].most_common()
            ]
            group["rooms"] = sorted(group["rooms"].values(), key=natural_key)
            group["items"].sort(key=lambda a: natural_key(a.ci.name))
            groups.append(group)
        groups.sort(key=lambda g: natural_key(g["via"].name) if g["via"] else [])
        count = sum(len(g["items"]) for g in groups)
        heading = DEPTH_HEADINGS.get(depth, f"{depth - 1} steps further")
        shown.append({"depth": depth, "heading": heading, "groups": groups, "count": count})
    return shown


class ConfigurationItemDetailView(CMDBViewMixin, DetailView):
    """One CI, in tabs: overview, ports and cables, relationships and impact, software, history, records."""

    model = ConfigurationItem
    narrow_to_current_school = False
    template_name = "cmdb/ci_detail.html"
    context_object_name = "ci"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "location__parent__parent", "owner")

    def tabs(self, ci: ConfigurationItem) -> list[dict[str, Any]]:
        user = self.request.user
        relationships = Relationship.objects.visible_to(user)
        tabs = [
            {"slug": "overview", "label": "Overview", "count": None},
            {
                "slug": "ports",
                "label": "Ports and cables",
                "count": Port.objects.visible_to(user).filter(ci=ci).count(),
            },
            {
                "slug": "relationships",
                "label": "Relationships and impact",
                "count": relationships.filter(source=ci).count() + relationships.filter(target=ci).count(),
            },
            {
                "slug": "software",
                "label": "Software",
                "count": SoftwareInstallation.objects.visible_to(user).filter(ci=ci).count(),
            },
            {"slug": "history", "label": "History", "count": None},
        ]
        tabs += [{"slug": slug, "label": label, "count": None, "plugin": path} for slug, label, path in app_tabs(ci)]
        relations = linked_relations()
        if relations:
            labels = [str(r.related_model._meta.verbose_name_plural) for r in relations]
            count = sum(self.linked_queryset(r, ci).count() for r in relations)
            # "Incidents and problems" while it reads well; past two kinds of record, one short word.
            label = " and ".join(labels).capitalize() if len(labels) <= 2 else "Incidents and other records"
            tabs.append({"slug": "records", "label": label, "count": count})
        return tabs

    def linked_queryset(self, relation, ci: ConfigurationItem):
        return relation.related_model.objects.visible_to(self.request.user).filter(**{relation.field.name: ci})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        ci, user = self.object, self.request.user
        tabs = self.tabs(ci)
        tab = self.request.GET.get("tab", "overview")
        if tab not in {t["slug"] for t in tabs}:
            tab = "overview"
        context.update(
            tabs=tabs,
            tab=tab,
            actions=ConfigurationItem.WORKFLOW.available(user, ci),
            can_manage=access.can_manage_cmdb.test(user, ci),
            attribute_rows=ci.attribute_rows,
        )
        plugin = next((t["plugin"] for t in tabs if t["slug"] == tab and t.get("plugin")), None)
        context.update(import_string(plugin)(self.request, ci) if plugin else getattr(self, f"tab_{tab}")(ci))
        return context

    # --- one method per tab -------------------------------------------------------------------

    def tab_overview(self, ci: ConfigurationItem) -> dict[str, Any]:
        return {"timeline": list(timeline(ci, include_internal=True).reverse()[:8]), "impact_summary": impact(ci)}

    def tab_ports(self, ci: ConfigurationItem) -> dict[str, Any]:
        ports = list(
            Port.objects.visible_to(self.request.user)
            .filter(ci=ci)
            .select_related("cable__a_port__ci", "cable__b_port__ci", "connected_endpoint__ci", "rear_port")
        )
        ports.sort(key=lambda p: (p.kind == PortKind.REAR, natural_key(p.name)))
        fronts = {p.rear_port_id: p for p in ports if p.rear_port_id}
        rows = []
        for port in ports:
            neighbour = port.cable.far_end(port) if port.cable_id else None
            rows.append({"port": port, "neighbour": neighbour, "front": fronts.get(port.pk)})
        return {"port_rows": rows, "passive": ci.kind in PASSIVE_KINDS}

    def tab_relationships(self, ci: ConfigurationItem) -> dict[str, Any]:
        related = Relationship.objects.visible_to(self.request.user).select_related(
            "source__location__parent__parent", "target__location__parent__parent"
        )
        result = impact(ci)
        return {
            "relies_on": related.filter(source=ci),
            "relied_on_by": related.filter(target=ci),
            "impact": result,
            "impact_levels": impact_levels(result),
            "impact_rooms": rooms_by_building(result),
            "upstream": depends_on(ci),
        }

    def tab_software(self, ci: ConfigurationItem) -> dict[str, Any]:
        user = self.request.user
        return {
            "installations": SoftwareInstallation.objects.visible_to(user).filter(ci=ci).select_related("product"),
            "seats": LicenceSeat.objects.visible_to(user).filter(ci=ci).select_related("licence__product"),
        }

    def tab_history(self, ci: ConfigurationItem) -> dict[str, Any]:
        return {"history": ci_history(ci, self.request.user), "timeline": timeline(ci, include_internal=True)}

    def tab_records(self, ci: ConfigurationItem) -> dict[str, Any]:
        sections = []
        for relation in linked_relations():
            records = self.linked_queryset(relation, ci).order_by("-pk")[:50]
            sections.append({"label": relation.related_model._meta.verbose_name_plural, "records": records})
        return {"record_sections": sections}


class ConfigurationItemTransitionView(CMDBViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """POST: move a CI along its lifecycle (receive, deploy, repair, stock, retire, dispose)."""

    model = ConfigurationItem
    narrow_to_current_school = False

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = TransitionForm(request.POST)
        form.is_valid()
        try:
            ci = services.ci_transition(
                ci=self.object, action=kwargs["action"], actor=request.user, note=form.cleaned_data.get("note", "")
            )
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(request, f"{ci} is now {ci.get_status_display().lower()}.")
        return HttpResponseRedirect(self.object.get_absolute_url())


# =============================================================================
# Forms on a CI: create, edit, ports, cables, relationships
# =============================================================================


class ConfigurationItemCreateView(CMDBViewMixin, FormView):
    """Record a new item: first its kind (the attributes differ by kind), then its details."""

    form_class = ConfigurationItemForm
    template_name = "cmdb/ci_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and access.here_or_anywhere(access.can_view_cmdb).test(request.user, None):
            if not manageable_schools(request.user).exists():
                messages.error(request, "Only technicians and the network manager record items in the CMDB.")
                return redirect("cmdb:ci_list")
        return super().dispatch(request, *args, **kwargs)

    @property
    def kind(self) -> str | None:
        kind = self.request.POST.get("kind") or self.request.GET.get("kind")
        return kind if kind in KIND_ATTRIBUTES else None

    def get(self, request, *args, **kwargs):
        if self.kind is None:
            groups = [(name, [(k, KIND_ATTRIBUTES[k]) for k in kinds]) for name, kinds in KIND_GROUPS.items()]
            return self.render_to_response({"choose_kind": True, "kind_groups": groups})
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "user": self.request.user,
            "kind": self.kind or Kind.DESKTOP,
            "school": self.request.school,
        }

    def form_valid(self, form):
        data = form.changes()
        try:
            ci = services.ci_create(
                school=form.cleaned_data["school"],
                actor=self.request.user,
                status=form.cleaned_data["initial_status"],
                **data,
            )
        except ValidationError as error:
            form.report(error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        messages.success(self.request, f"{ci} recorded.")
        return redirect(ci)


class CIFormView(CMDBViewMixin, SingleObjectMixin, FormView):
    """Base of the forms about one CI: fetched through the scoping (404 if not visible).

    People who may read the CMDB but not change it (the desk, leaders, consultants) see why instead
    of the form; a POST from them is refused by the service like any other.
    """

    model = ConfigurationItem
    narrow_to_current_school = False
    context_object_name = "ci"

    def get_queryset(self):
        return super().get_queryset().select_related("school", "location__parent__parent")

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and access.here_or_anywhere(access.can_view_cmdb).test(user, None):
            self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    @property
    def may_change(self) -> bool:
        return access.can_manage_cmdb.test(self.request.user, self.object)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "ci": self.object}

    def post(self, request, *args, **kwargs):
        if not self.may_change:
            messages.error(request, "Only technicians and the network manager change the CMDB.")
            return HttpResponseRedirect(self.object.get_absolute_url())
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["may_change"] = self.may_change
        return context

    def get_success_url(self):
        return self.object.get_absolute_url()

    def report(self, form, error: Exception):
        if isinstance(error, PermissionDenied):
            form.add_error(None, str(error) or "You cannot change this school's CMDB.")
        else:
            report_service_error(form, error)
        return self.form_invalid(form)


class ConfigurationItemUpdateView(CIFormView):
    form_class = ConfigurationItemForm
    template_name = "cmdb/ci_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        del kwargs["ci"]
        return {**kwargs, "instance": self.object, "kind": self.object.kind}

    def form_valid(self, form):
        try:
            ci = services.ci_update(ci=self.object, actor=self.request.user, **form.changes())
        except ValidationError as error:
            form.report(error)
            return self.form_invalid(form)
        except PermissionDenied as error:
            return self.report(form, error)
        messages.success(self.request, f"{ci} saved.")
        return redirect(ci)


class PortCreateView(CIFormView):
    form_class = PortForm
    template_name = "cmdb/port_form.html"

    def form_valid(self, form):
        ci, actor = self.object, self.request.user
        try:
            with transaction.atomic():
                for name, fields in form.ports():
                    if form.pairs_rear_ports:
                        fields["rear_port"] = services.port_create(
                            ci=ci,
                            actor=actor,
                            name=f"rear {name}",
                            kind=PortKind.REAR,
                            cable_expected=fields.get("cable_expected", False),
                        )
                    services.port_create(ci=ci, actor=actor, name=name, **fields)
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        count = len(form.cleaned_data["name"])
        messages.success(self.request, f"{count} port{'s' if count != 1 else ''} added to {ci}.")
        return HttpResponseRedirect(f"{ci.get_absolute_url()}?tab=ports")


class CableCreateView(CIFormView):
    form_class = CableForm
    template_name = "cmdb/cable_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        port_id = self.request.GET.get("port")
        if port_id and port_id.isdigit():
            kwargs["port"] = Port.objects.visible_to(self.request.user).filter(pk=port_id, ci=self.object).first()
        return kwargs

    def form_valid(self, form):
        data = form.cleaned_data
        fields = {name: data[name] for name in ("type", "label", "colour", "length_m") if data.get(name) is not None}
        try:
            cable = services.cable_connect(
                a_port=data["a_port"], b_port=data["b_port"], actor=self.request.user, **fields
            )
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"Cable connected: {cable.a_port} to {cable.b_port}.")
        return HttpResponseRedirect(f"{self.object.get_absolute_url()}?tab=ports")


class RelationshipCreateView(CIFormView):
    form_class = RelationshipForm
    template_name = "cmdb/relationship_form.html"

    def form_valid(self, form):
        source, target = form.ends()
        try:
            relationship = services.relationship_add(
                source=source,
                target=target,
                actor=self.request.user,
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
            )
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"Recorded: {relationship}.")
        return HttpResponseRedirect(f"{self.object.get_absolute_url()}?tab=relationships")


class RemoveView(CMDBViewMixin, ServiceErrorMixin, SingleObjectMixin, View):
    """Base of the POST-only removals: fetch the record (404 if not visible), call a service, go back."""

    narrow_to_current_school = False

    def back_to(self) -> str:
        """The page the form was on (`next`, if it is this site's), else the record's own page."""
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()}):
            return target
        return self.default_back()

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        back = self.back_to()
        try:
            message = self.remove()
        except (ValidationError, PermissionDenied) as error:
            self.report_service_error(error)
        else:
            messages.success(request, message)
        return HttpResponseRedirect(back)


class CableRemoveView(RemoveView):
    model = Cable

    def get_queryset(self):
        return super().get_queryset().select_related("a_port__ci", "b_port__ci")

    def remove(self) -> str:
        cable = self.object
        text = f"Cable {cable} between {cable.a_port} and {cable.b_port} removed."
        services.cable_disconnect(cable=cable, actor=self.request.user)
        return text

    def default_back(self) -> str:
        return f"{self.object.a_port.ci.get_absolute_url()}?tab=ports"


class RelationshipRemoveView(RemoveView):
    model = Relationship

    def get_queryset(self):
        return super().get_queryset().select_related("source", "target")

    def remove(self) -> str:
        text = f"No longer recorded: {self.object}."
        services.relationship_remove(relationship=self.object, actor=self.request.user)
        return text

    def default_back(self) -> str:
        return f"{self.object.source.get_absolute_url()}?tab=relationships"


# =============================================================================
# A port and the trace through it
# =============================================================================


def path_hops(path) -> list[dict[str, Any]]:
    """A cable path as hops: each item it passes (with the ports in and out) and the cable to the next."""
    hops: list[dict[str, Any]] = []
    for index, port in enumerate(path.ports):
        link_before = path.links[index - 1] if index > 0 else None
        if hops and link_before is None and hops[-1]["ci"].pk == port.ci_id:
            hops[-1]["ports"].append(port)  # passing through a patch panel or wall socket
            continue
        if hops:
            hops[-1]["cable_after"] = link_before
        hops.append({"ci": port.ci, "ports": [port], "cable_after": None})
    return hops


class PortDetailView(CMDBViewMixin, DetailView):
    """A port: what it is, and the whole path through it, from a classroom socket to its switch port."""

    model = Port
    narrow_to_current_school = False
    template_name = "cmdb/port_detail.html"
    context_object_name = "port"

    def get_queryset(self):
        return super().get_queryset().select_related("ci__location__parent__parent", "rear_port", "cable")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        path = trace(self.object)
        context.update(
            path=path,
            hops=path_hops(path),
            ci=self.object.ci,
            can_manage=access.can_manage_cmdb.test(self.request.user, self.object),
        )
        return context


# =============================================================================
# Locations
# =============================================================================


class LocationListView(CMDBViewMixin, ListView):
    """Sites, their buildings and their rooms, with how many items are in each."""

    model = Location
    template_name = "cmdb/location_list.html"
    context_object_name = "locations"

    def get_queryset(self):
        return locations_by_path(super().get_queryset()).select_related("school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, school = self.request.user, getattr(self.request, "school", None)
        items = ConfigurationItem.objects.visible_to(user).of_school(school.pk if school else None)
        direct = dict(items.values_list("location").annotate(n=Count("pk")).order_by())
        nodes = {
            location.pk: {"location": location, "children": [], "count": direct.get(location.pk, 0)}
            for location in context["locations"]
        }
        roots = []
        for node in nodes.values():
            parent = nodes.get(node["location"].parent_id)
            (parent["children"] if parent else roots).append(node)

        def total(node):
            node["total"] = node["count"] + sum(total(child) for child in node["children"])
            return node["total"]

        for root in roots:
            total(root)
        by_school: dict[str, list] = defaultdict(list)
        for root in roots:
            by_school[root["location"].school.name].append(root)
        context.update(
            schools=sorted(by_school.items()),
            show_school=school is None and len(by_school) > 1,
            unplaced=direct.get(None, 0),
            can_manage=self.can_manage_here,
        )
        return context


class LocationCreateView(CMDBViewMixin, FormView):
    form_class = LocationForm
    template_name = "cmdb/location_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and access.here_or_anywhere(access.can_view_cmdb).test(request.user, None):
            if not manageable_schools(request.user).exists():
                messages.error(request, "Only technicians and the network manager add locations.")
                return redirect("cmdb:location_list")
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            location = services.location_create(
                school=data["school"],
                actor=self.request.user,
                kind=data["kind"],
                name=data["name"],
                parent=data["parent"],
            )
        except (ValidationError, PermissionDenied) as error:
            if isinstance(error, PermissionDenied):
                form.add_error(None, str(error))
            else:
                report_service_error(form, error)
            return self.form_invalid(form)
        messages.success(self.request, f"{location.get_kind_display()} {location.path} added.")
        return redirect("cmdb:location_list")


# =============================================================================
# Software and licences
# =============================================================================


class SoftwareListView(CMDBViewMixin, SingleTableMixin, ListView):
    """The software the school knows of: on how many devices, and how many seats it has bought."""

    model = SoftwareProduct
    table_class = SoftwareTable
    template_name = "cmdb/software_list.html"
    paginate_by = 25

    def get_queryset(self):
        bought = (
            Licence.objects.visible_to(self.request.user)
            .filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(total=Sum("seats"))
            .values("total")
        )
        queryset = super().get_queryset()
        return (
            queryset.select_related("school")
            .annotate(installs=Count("installations", distinct=True), licence_count=Count("licences", distinct=True))
            .annotate(seats_bought=Subquery(bought))
            .order_by("name", "pk")
        )

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_manage": self.can_manage_here}


class LicenceListView(CMDBViewMixin, SingleTableMixin, FilterView):
    """Licences with their seats used against seats bought (FITS: licences are configuration items too)."""

    model = Licence
    table_class = LicenceTable
    filterset_class = LicenceFilterSet
    template_name = "cmdb/licence_list.html"
    paginate_by = 25

    def get_queryset(self):
        queryset = super().get_queryset()
        return (
            queryset.select_related("product", "school")
            .annotate(
                seats_used=Count("seat_assignments", distinct=True),
                installed=Count("product__installations", distinct=True),
            )
            .order_by("product__name", "pk")
        )

    def get_table(self, **kwargs):
        table = super().get_table(**kwargs)
        if getattr(self.request, "school", None) is not None:
            table.exclude = ("school",)
        return table

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "can_manage": self.can_manage_here}


class LicenceDetailView(CMDBViewMixin, DetailView):
    """A licence: who holds its seats, and which devices have the product without one."""

    model = Licence
    narrow_to_current_school = False
    template_name = "cmdb/licence_detail.html"
    context_object_name = "licence"

    def get_queryset(self):
        return super().get_queryset().select_related("product", "school")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user, licence = self.request.user, self.object
        seats = list(
            LicenceSeat.objects.visible_to(user)
            .filter(licence=licence)
            .select_related("ci__location__parent__parent", "user")
            .order_by("ci__name", "user__first_name")
        )
        installs = list(
            SoftwareInstallation.objects.visible_to(user)
            .filter(product=licence.product_id)
            .select_related("ci__location__parent__parent")
            .order_by("ci__name")
        )
        seated = {seat.ci_id for seat in seats if seat.ci_id}
        per_device = licence.model == Licence.Model.PER_DEVICE
        context.update(
            seats=seats,
            used=len(seats),
            over=max(0, len(seats) - licence.seats) if licence.seats is not None else 0,
            installations=installs,
            unlicensed=[i for i in installs if i.ci_id not in seated] if per_device else [],
            per_device=per_device,
            can_manage=access.can_manage_cmdb.test(user, licence),
        )
        return context


# =============================================================================
# Writing software, licences, seats and ports
# =============================================================================


class ManagedCreateView(CMDBViewMixin, FormView):
    """Base of the "add" forms that are not about one record: only for people who keep some school's CMDB."""

    refused = "Only technicians and the network manager change the CMDB."
    back = "cmdb:ci_list"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and access.here_or_anywhere(access.can_view_cmdb).test(request.user, None):
            if not manageable_schools(request.user).exists():
                messages.error(request, self.refused)
                return redirect(self.back)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user, "school": self.request.school}

    def report(self, form, error: Exception):
        if isinstance(error, PermissionDenied):
            form.add_error(None, str(error) or self.refused)
        else:
            report_service_error(form, error)
        return self.form_invalid(form)


class SoftwareCreateView(ManagedCreateView):
    form_class = SoftwareProductForm
    template_name = "cmdb/software_form.html"
    back = "cmdb:software_list"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            product = services.software_product_create(
                school=data["school"], actor=self.request.user, name=data["name"], publisher=data["publisher"]
            )
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"{product} added.")
        return redirect("cmdb:software_list")


class LicenceCreateView(ManagedCreateView):
    form_class = LicenceForm
    template_name = "cmdb/licence_form.html"
    back = "cmdb:licence_list"

    def form_valid(self, form):
        try:
            licence = services.licence_create(
                school=form.cleaned_data["school"],
                actor=self.request.user,
                product=form.cleaned_data["product"],
                **form.changes(),
            )
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"Licence for {licence.product} recorded.")
        return redirect("cmdb:licence_detail", pk=licence.pk)


class SoftwareInstallView(CIFormView):
    form_class = InstallForm
    template_name = "cmdb/install_form.html"

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            installation = services.software_install(
                ci=self.object,
                product=data["product"],
                actor=self.request.user,
                version=data["version"],
                installed_on=data["installed_on"],
            )
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"{installation} recorded on {self.object}.")
        return HttpResponseRedirect(f"{self.object.get_absolute_url()}?tab=software")


class RecordFormView(CIFormView):
    """A form about one licence or port (not a CI): the same refusals, back to the record's own page."""

    def get_queryset(self):
        return self.model.objects.visible_to(self.request.user).select_related("school")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        del kwargs["ci"]
        return kwargs

    def post(self, request, *args, **kwargs):
        if not self.may_change:
            messages.error(request, "Only technicians and the network manager change the CMDB.")
            return HttpResponseRedirect(self.get_success_url())
        return FormView.post(self, request, *args, **kwargs)


class LicenceUpdateView(RecordFormView):
    model = Licence
    form_class = LicenceForm
    template_name = "cmdb/licence_form.html"
    context_object_name = "licence"

    def get_queryset(self):
        return super().get_queryset().select_related("product")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def get_success_url(self):
        return reverse("cmdb:licence_detail", kwargs={"pk": self.object.pk})

    def form_valid(self, form):
        try:
            licence = services.licence_update(licence=self.object, actor=self.request.user, **form.changes())
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"Licence for {licence.product} saved.")
        return HttpResponseRedirect(self.get_success_url())


class LicenceSeatAssignView(RecordFormView):
    model = Licence
    form_class = SeatForm
    template_name = "cmdb/seat_form.html"
    context_object_name = "licence"

    def get_queryset(self):
        return super().get_queryset().select_related("product")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "licence": self.object}

    def get_success_url(self):
        return reverse("cmdb:licence_detail", kwargs={"pk": self.object.pk})

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["used"] = LicenceSeat.objects.visible_to(self.request.user).filter(licence=self.object).count()
        return context

    def form_valid(self, form):
        try:
            seat = services.licence_seat_assign(licence=self.object, actor=self.request.user, **form.holder())
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"{seat.ci or seat.user} now holds a seat of {self.object.product}.")
        return HttpResponseRedirect(self.get_success_url())


class PortUpdateView(RecordFormView):
    model = Port
    form_class = PortEditForm
    template_name = "cmdb/port_edit.html"
    context_object_name = "port"

    def get_queryset(self):
        return super().get_queryset().select_related("ci")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.object}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "ci": self.object.ci}

    def get_success_url(self):
        return reverse("cmdb:port_detail", kwargs={"pk": self.object.pk})

    def form_valid(self, form):
        try:
            port = services.port_update(port=self.object, actor=self.request.user, **form.changes())
        except (ValidationError, PermissionDenied) as error:
            return self.report(form, error)
        messages.success(self.request, f"Port {port} saved.")
        return HttpResponseRedirect(self.get_success_url())


class InstallationRemoveView(RemoveView):
    model = SoftwareInstallation

    def get_queryset(self):
        return super().get_queryset().select_related("ci", "product")

    def remove(self) -> str:
        text = f"{self.object} taken off {self.object.ci}."
        services.software_uninstall(installation=self.object, actor=self.request.user)
        return text

    def default_back(self) -> str:
        return f"{self.object.ci.get_absolute_url()}?tab=software"


class SeatReleaseView(RemoveView):
    model = LicenceSeat

    def get_queryset(self):
        return super().get_queryset().select_related("licence__product", "ci", "user")

    def remove(self) -> str:
        text = f"{self.object.ci or self.object.user} no longer holds a seat of {self.object.licence.product}."
        services.licence_seat_release(seat=self.object, actor=self.request.user)
        return text

    def default_back(self) -> str:
        return reverse("cmdb:licence_detail", kwargs={"pk": self.object.licence_id})


class PortRemoveView(RemoveView):
    model = Port

    def get_queryset(self):
        return super().get_queryset().select_related("ci")

    def remove(self) -> str:
        text = f"Port {self.object} removed."
        services.port_remove(port=self.object, actor=self.request.user)
        return text

    def back_to(self) -> str:
        return f"{self.object.ci.get_absolute_url()}?tab=ports"

    def default_back(self) -> str:
        return self.back_to()
