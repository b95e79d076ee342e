"""The house rules that keep the code in shape (DESIGN.md 3 and 4.2, STYLE.md 2.1 and 2.4).

Source checks read the first-party apps with the standard library (ast), the way Zulip's semgrep
rules do; a few runtime checks look at the views and viewsets the URLconf actually routes.

- Interface modules (views, api, forms, serializers, filters, tables, admin, as files or packages)
  reach school-owned models only through `visible_to(user)`, and never filter by school by hand.
- State changes happen only in services: interface modules never save, update, delete or create
  school-owned rows, and no routed view or viewset saves through Django's or DRF's generic mixins.
- Apps depend downward: `fits` and `cmdb` on no process app; everything else only on the shared base.
- No signals for domain behaviour.
- Every school-owned model inherits SchoolOwned, and the system check (fits.E001, fits.E002) holds.

The school-owned models are found at run time (every model with a `school_path`), and the apps are
every app in INSTALLED_APPS that lives in this repository, so a new app is checked from its first
commit. Exceptions go in the small allowlists below, each with its reason.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from django.apps import AppConfig, apps
from django.conf import settings
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps
from django.views.generic.edit import BaseDeleteView, DeletionMixin, ModelFormMixin
from rest_framework import mixins

from fits import checks
from fits.api import ScopedViewSet
from fits.forms import ScopedForm, ScopedModelForm
from fits.models import School
from fits.scoping import SchoolOwned, SharedOwned
from fits.views import ScopedViewMixin
from tests.helpers.urls import iter_routes

REPO = Path(settings.BASE_DIR).resolve()

# Modules that face people (pages, the API, the admin): they read through visible_to and write
# through services. Tasks, management commands and services may use Model.objects unscoped.
INTERFACE_MODULES = {"views", "api", "forms", "serializers", "filters", "tables", "admin"}

# Method names that write rows.
WRITES = {"save", "delete", "update", "create", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
# Queryset steps: a write at the end of a chain through one of these writes rows.
QUERYSET_STEPS = {"filter", "exclude", "all", "visible_to", "of_school", "get_queryset", "select_for_update"}

# (path relative to the repository, name of the receiver) -> why it may write there.
WRITE_ALLOWLIST: dict[tuple[str, str], str] = {
    ("cmdb/data_views.py", "book"): "an openpyxl workbook saved to a temporary file for the XLSX export, not a record",
}

# Modules of `fits` that wire the whole product together rather than belong to the core.
WIRING = {
    "fits/urls.py": "the project's URLconf includes every app's pages and API routes",
    "fits/management/commands/seed_demo.py": "the demo data spans every process (DESIGN.md 6)",
    "fits/management/commands/seed_scale.py": "LEA-sized data spans every process, like the demo",
}

# Apps that every process and OM function may use (DESIGN.md 3, "Apps depend downward"). Change Management
# is shared too: FITS routes problems' fixes, releases and all OM work through requests for change; so is
# Availability and Capacity: Service Level measures availability with it, and the OM functions monitor through it;
# and so is the OM base (om): every function's policy and the allocation of its activities; and so is the
# Service Desk (servicedesk): the single point of contact, whose catalogue takes the requests an OM function
# carries out (starters and leavers, restores; servicedesk/handlers.py). And Financial Management (finance): every
# function's purchases are recorded in its expenditure record (a cartridge delivery, om/printing).
# The core's assessment and strategy are part of fits: every app may plug its evidence and facts into them.
SHARED = {"fits", "cmdb", "incidents", "servicelevels", "changes", "availability", "om", "servicedesk", "finance"}
SHARED |= {"fits.assessment", "fits.strategy"}
# Apps that depend on no process app: what each may use.
# The core's assessment and strategy (fits/assessment, fits/strategy) read the processes' live data only through
# the plug-in points each app's AppConfig declares, never by importing them.
FOUNDATIONS = {"fits": set(), "cmdb": {"fits"}, "fits.assessment": {"fits"}, "fits.strategy": {"fits"}}

# path relative to the repository -> why it may use signals (cache invalidation and write guards only, STYLE.md 2.1).
SIGNALS_ALLOWLIST: dict[str, str] = {
    "fits/scoping.py": "the floor under every write: a link to another school's record is refused whatever saves it "
    "(a guard, not domain behaviour; services still check their own links)",
}


# =============================================================================
# What the project is made of
# =============================================================================


@cache
def first_party_apps() -> tuple[AppConfig, ...]:
    """The installed apps whose code lives in this repository (not in the virtualenv)."""
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(REPO) and not {".venv", "site-packages"} & set(path.relative_to(REPO).parts):
            found.append(config)
    return tuple(found)


@dataclass(frozen=True)
class Source:
    app: AppConfig
    path: Path
    tree: ast.Module

    @property
    def relative(self) -> str:
        return self.path.relative_to(REPO).as_posix()

    @property
    def module(self) -> str:
        return ".".join(self.path.relative_to(REPO).with_suffix("").parts)

    @property
    def role(self) -> str:
        """What the module is in its app: 'views' for views.py, for anything under views/, for a
        sub-package's views.py (cmdb/inventory/views.py) and for data_views.py; else the first part."""
        names = [Path(part).stem for part in self.path.relative_to(self.app.path).parts]
        for name in reversed(names):
            role = name.rsplit("_", 1)[-1]
            if role in INTERFACE_MODULES:
                return role
        return names[0]

    @property
    def is_interface(self) -> bool:
        return self.role in INTERFACE_MODULES


@cache
def sources() -> tuple[Source, ...]:
    configs = first_party_apps()
    found = []
    for config in configs:
        inner = [Path(other.path) for other in configs if Path(other.path) != Path(config.path)]
        for path in sorted(Path(config.path).rglob("*.py")):
            if any(path.is_relative_to(other) and other.is_relative_to(config.path) for other in inner):
                continue  # belongs to a nested app
            tree = ast.parse(path.read_text(), filename=str(path))
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    child.parent = node  # type: ignore[attr-defined]
            found.append(Source(config, path, tree))
    return tuple(found)


def school_owned_names() -> set[str]:
    return {model.__name__ for model in apps.get_models() if hasattr(model, "school_path")}


def model_names() -> set[str]:
    return {model.__name__ for model in apps.get_models(include_auto_created=True)}


def chain(node: ast.AST) -> list[str]:
    """The names along an expression, outermost first: `Incident.objects.filter(x)` -> filter, objects, Incident."""
    names = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names
        else:
            return names


def where(source: Source, node: ast.AST) -> str:
    line = ast.get_source_segment(source.path.read_text(), node) or ""
    return f"{source.relative}:{node.lineno}: {line.splitlines()[0][:100] if line else ''}"


def enclosing(node: ast.AST, kind: type) -> ast.AST | None:
    node = getattr(node, "parent", None)
    while node is not None and not isinstance(node, kind):
        node = getattr(node, "parent", None)
    return node


def test_the_checks_see_the_project():
    labels = {config.label for config in first_party_apps()}
    assert {"fits", "servicedesk", "incidents"} <= labels
    assert not labels & {"admin", "auth", "rest_framework"}
    assert {"Incident", "Activity"} <= school_owned_names()
    roles = {(source.app.label, source.role) for source in sources() if source.is_interface}
    assert {("incidents", "views"), ("incidents", "api"), ("fits", "api"), ("servicedesk", "views")} <= roles


# =============================================================================
# Reads start from visible_to
# =============================================================================


def scoped_class_field(source: Source, node: ast.AST) -> bool:
    """`queryset=Model.objects...` declared on a form or serializer whose base scopes its choices."""
    keyword = enclosing(node, ast.keyword)
    function = enclosing(node, ast.FunctionDef)
    owner = enclosing(node, ast.ClassDef)
    if keyword is None or keyword.arg != "queryset" or owner is None or function is not None:
        return False
    from fits.api import ScopedSerializerMixin

    cls = getattr(importlib.import_module(source.module), owner.name, None)
    return isinstance(cls, type) and issubclass(cls, ScopedForm | ScopedModelForm | ScopedSerializerMixin)


def test_interface_modules_reach_school_owned_rows_only_through_visible_to():
    owned, known = school_owned_names(), model_names()
    problems = []
    for source in sources():
        if not source.is_interface:
            continue
        for node in ast.walk(source.tree):
            if not isinstance(node, ast.Attribute) or node.attr not in ("objects", "_default_manager", "_base_manager"):
                continue
            receiver = chain(node.value)[:1]
            model = receiver[0] if receiver else ""
            unscoped_model = model in owned or model not in known  # a school-owned model, or one we cannot tell
            if node.attr != "_base_manager" and not unscoped_model:
                continue
            step = node.parent.attr if isinstance(node.parent, ast.Attribute) else None
            if step in ("visible_to", "none") or scoped_class_field(source, node):
                continue
            problems.append(f"{where(source, node)}\n    start from {model or '...'}.objects.visible_to(user)")
    assert not problems, "Unscoped reads of school-owned models:\n" + "\n".join(problems)


def test_views_never_filter_by_school_by_hand():
    """STYLE.md 2.4: no view writes filter(school=...); visible_to(user) and of_school() do it."""
    problems = []
    for source in sources():
        if not source.is_interface or source.role == "filters":
            continue
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in ("filter", "exclude", "get") and any(
                    (keyword.arg or "").startswith("school") for keyword in node.keywords
                ):
                    problems.append(where(source, node))
    assert not problems, "Filter by school through visible_to(user) / of_school():\n" + "\n".join(problems)


def test_routed_views_and_viewsets_over_school_owned_models_use_the_scoped_bases():
    problems = []
    for route in iter_routes():
        cls = route.view_class
        if cls is None or route.is_admin:
            continue
        queryset = getattr(cls, "queryset", None)
        model = getattr(cls, "model", None) or getattr(queryset, "model", None)
        if model is None or not hasattr(model, "school_path"):
            continue
        base = ScopedViewSet if hasattr(cls, "get_extra_actions") else ScopedViewMixin
        if not issubclass(cls, base):
            problems.append(f"{route.key}: {cls.__qualname__} shows {model.__name__} but is not a {base.__name__}")
            continue
        for klass in cls.__mro__:
            if klass is base:
                break
            if "get_queryset" in vars(klass):
                code = inspect.getsource(vars(klass)["get_queryset"])
                if "super().get_queryset(" not in code and "visible_to(" not in code:
                    problems.append(f"{route.key}: {klass.__qualname__}.get_queryset drops the scoping")
    assert not problems, "\n".join(problems)


# =============================================================================
# Writes go through services
# =============================================================================


def test_interface_modules_never_write_school_owned_rows():
    owned, known = school_owned_names(), model_names()
    problems = []
    for source in sources():
        if not source.is_interface:
            continue
        for node in ast.walk(source.tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            method, names = node.func.attr, chain(node.func.value)
            if method not in WRITES:
                continue
            if "objects" in names or "_default_manager" in names:
                manager = names.index("objects") if "objects" in names else names.index("_default_manager")
                model = names[manager + 1] if manager + 1 < len(names) else ""
                writes_owned = model in owned or model not in known
            elif QUERYSET_STEPS & set(names):
                writes_owned = True
            elif method in ("save", "delete"):
                # request.session.save() and file storage (default_storage.save) are not records
                writes_owned = not {"session", "default_storage", "storage"} & set(names)
            else:
                writes_owned = bool(names) and names[0].endswith("_set")  # incident.activity_set.create()
            receiver = ".".join(reversed(names))
            if writes_owned and (source.relative, receiver) not in WRITE_ALLOWLIST:
                problems.append(f"{where(source, node)}\n    call a service (<record>_<verb>) instead of .{method}()")
    assert not problems, "State changes outside services:\n" + "\n".join(problems)


def test_routed_views_do_not_save_through_generic_mixins():
    """Django's edit views and DRF's write mixins save straight from the form or serializer."""
    checks_by_base = [
        (ModelFormMixin, "form_valid", "form_valid"),
        (BaseDeleteView, "form_valid", "form_valid"),
        (DeletionMixin, "delete", "delete"),
        (mixins.CreateModelMixin, "create", "perform_create"),
        (mixins.UpdateModelMixin, "update", "perform_update"),
        (mixins.UpdateModelMixin, "partial_update", "perform_update"),
        (mixins.DestroyModelMixin, "destroy", "perform_destroy"),
    ]
    problems = []
    for route in iter_routes():
        cls = route.view_class
        if cls is None or route.is_admin:
            continue
        for base, action, hook in checks_by_base:
            if issubclass(cls, base) and getattr(cls, action) is getattr(base, action):
                if getattr(cls, hook) is getattr(base, hook):
                    problems.append(f"{route.key}: {cls.__qualname__} inherits {base.__name__}.{hook}: call a service")
    assert not problems, "\n".join(sorted(set(problems)))


# =============================================================================
# Apps depend downward
# =============================================================================


def app_of(module: str, names: list[str]) -> str | None:
    """The first-party app a module belongs to (the longest app name that prefixes it)."""
    matches = [name for name in names if module == name or module.startswith(name + ".")]
    return max(matches, key=len) if matches else None


def imported_modules(source: Source) -> list[tuple[ast.AST, str]]:
    found = []
    for node in ast.walk(source.tree):
        if isinstance(node, ast.Import):
            found += [(node, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [(node, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def may_use(app: str, other: str) -> bool:
    if app in FOUNDATIONS:
        return other in FOUNDATIONS[app]
    return other in SHARED


def test_apps_depend_downward():
    names = [config.name for config in first_party_apps()]
    problems = []
    for source in sources():
        if source.relative in WIRING:
            continue
        for node, module in imported_modules(source):
            other = app_of(module, names)
            if other and other != source.app.name and not may_use(source.app.name, other):
                problems.append(f"{where(source, node)}\n    {source.app.name} may not depend on {other}")
    assert not problems, "Apps depend downward (DESIGN.md 3):\n" + "\n".join(problems)


def test_models_relate_downward():
    names = [config.name for config in first_party_apps()]
    problems = []
    for config in first_party_apps():
        for model in config.get_models():
            if checks._is_history_model(model):
                continue
            for field in model._meta.get_fields():
                if not field.is_relation or field.auto_created or field.related_model is None:
                    continue
                other = app_of(field.related_model.__module__, names)
                if other and other != config.name and not may_use(config.name, other):
                    problems.append(f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}")
    assert not problems, "Models depend downward too:\n" + "\n".join(problems)


def test_the_dependency_rule_is_the_designs():
    assert may_use("servicedesk", "incidents") and may_use("problems", "cmdb") and may_use("incidents", "fits")
    assert (
        not may_use("fits", "incidents") and not may_use("cmdb", "incidents") and not may_use("incidents", "problems")
    )


# =============================================================================
# No signals for domain behaviour
# =============================================================================


def test_no_signals_for_domain_behaviour():
    problems = []
    for source in sources():
        if source.relative in SIGNALS_ALLOWLIST:
            continue
        for node, module in imported_modules(source):
            parts = module.split(".")
            if "signals" in parts or module in ("django.dispatch.receiver", "django.dispatch.Signal"):
                problems.append(where(source, node))
        for node in ast.walk(source.tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "connect":
                names = chain(node.func.value)
                if "signals" in names or any(name.startswith(("pre_", "post_", "m2m_")) for name in names):
                    problems.append(where(source, node))
    assert not problems, (
        "Signals found: domain behaviour belongs in services; only cache invalidation may use a signal "
        "(add it to SIGNALS_ALLOWLIST with the reason):\n" + "\n".join(problems)
    )


# =============================================================================
# Every school-owned model inherits SchoolOwned; the system check holds
# =============================================================================


def test_every_school_owned_model_inherits_school_owned():
    problems = []
    for model in apps.get_models():
        if checks._is_history_model(model) or model._meta.label in checks.NOT_SCHOOL_OWNED:
            continue
        school = next((f for f in model._meta.fields if f.name == "school" and f.related_model is School), None)
        scoped = issubclass(model, SchoolOwned | SharedOwned)
        if (hasattr(model, "school_path") or school is not None) and not scoped:
            problems.append(f"{model._meta.label} belongs to a school but inherits neither SchoolOwned nor SharedOwned")
    assert not problems, "\n".join(problems)


def test_the_system_check_passes():
    call_command("check", "--fail-level", "ERROR")
    assert checks.check_school_owned_models() == []


@pytest.fixture
def registry():
    with isolate_apps("fits") as isolated:
        yield isolated


def test_the_system_check_flags_a_model_that_escapes_the_scoping(monkeypatch, registry):
    class Backup(models.Model):  # noqa: DJ008  (a throwaway model)
        """Has a school_path, but its manager cannot scope."""

        school_path = "server__school"

        class Meta:
            app_label = "fits"

    class Printer(models.Model):  # noqa: DJ008
        """Belongs to a school without being school-owned."""

        school = models.ForeignKey(School, on_delete=models.CASCADE)

        class Meta:
            app_label = "fits"

    class Switch(SchoolOwned):
        class Meta:
            app_label = "fits"

    monkeypatch.setattr(checks, "apps", registry)
    found = {error.obj.__name__: error.id for error in checks.check_school_owned_models()}
    assert found == {"Backup": "fits.E001", "Printer": "fits.E002"}
