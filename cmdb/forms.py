"""Forms of Configuration Management: an item with its kind's attributes, ports, cables, relationships."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from cmdb.filters import locations_by_path
from cmdb.models import (
    KIND_ATTRIBUTES,
    KIND_GROUPS,
    LOGICAL_KINDS,
    PASSIVE_KINDS,
    Attribute,
    Cable,
    ConfigurationItem,
    Kind,
    Licence,
    LifecycleStatus,
    Location,
    Port,
    PortKind,
    Relationship,
    SoftwareProduct,
)
from fits import access
from fits.forms import ScopedForm, ScopedModelForm
from fits.models import Role, User
from fits.scoping import schools_visible_to

ATTRIBUTE_PREFIX = "attr_"
KIND_CHOICES = [(group, [(kind.value, kind.label) for kind in kinds]) for group, kinds in KIND_GROUPS.items()]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def manageable_schools(user: Any):
    """The schools where `user` may change the CMDB."""
    schools = schools_visible_to(user)
    return schools.filter(pk__in=[s.pk for s in schools if access.can_manage_cmdb.test(user, s)])


def hide_school(form: forms.BaseForm, schools) -> None:
    """Someone who keeps one school's CMDB is not asked which school: it is that one."""
    form.fields["school"].widget = forms.HiddenInput()
    form.fields["school"].required = False
    form.only_school = schools[0] if schools else None
    if form.only_school is not None:
        form.fields["school"].initial = form.only_school.pk


def report_service_error(form: forms.BaseForm, error: ValidationError, attribute_fields: dict[str, str] | None = None):
    """Put a service's ValidationError on the form: each message on its field where the form has it.

    `validate_attributes` names the attribute by its label ("Memory (MB): must be a whole number"),
    so `attribute_fields` ({label: form field name}) puts those messages on the attribute's own field.
    """
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for field, messages in error.message_dict.items():
        for message in messages:
            if field == "attributes" and attribute_fields:
                label, _, text = message.partition(": ")
                if label in attribute_fields and text:
                    form.add_error(attribute_fields[label], text[:1].upper() + text[1:] + ".")
                    continue
            form.add_error(field if field in form.fields else None, message)


# =============================================================================
# Configuration items
# =============================================================================


class AttributeField(forms.Field):
    """One kind-specific attribute, cleaned by the model's own rule (cmdb.models.Attribute.clean)."""

    def __init__(self, attribute: Attribute, **kwargs: Any) -> None:
        self.attribute = attribute
        if attribute.type is bool:
            widget = forms.Select(choices=[("", "Not recorded"), ("yes", "Yes"), ("no", "No")])
        elif attribute.choices:
            widget = forms.Select(choices=[("", "Not recorded"), *[(c, c) for c in attribute.choices]])
        elif attribute.type is int:
            widget = forms.NumberInput(attrs={"min": 0, "step": 1})
        else:
            widget = forms.TextInput()
        super().__init__(label=attribute.label, required=attribute.required, widget=widget, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if self.attribute.type is bool and isinstance(value, bool):
            return "yes" if value else "no"
        return value

    def to_python(self, value: Any) -> Any:
        try:
            return self.attribute.clean(value)
        except ValueError as error:
            text = str(error)
            raise ValidationError(text[:1].upper() + text[1:] + ".", code="invalid") from error


class ConfigurationItemForm(ScopedModelForm):
    """A configuration item: what it is, where, how to recognise it, what it cost, and its kind's attributes.

    The form shows the attributes of one kind (chosen before, or posted); the service validates the
    whole item again (same school, asset tag unique, attributes), and its messages land on the fields.
    """

    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    initial_status = forms.ChoiceField(
        label="Status",
        choices=[(s.value, s.label) for s in (LifecycleStatus.LIVE, LifecycleStatus.IN_STOCK, LifecycleStatus.ORDERED)],
        initial=LifecycleStatus.LIVE,
        help_text="Later moves (repair, retire, dispose) are actions on the item's page.",
    )
    location = forms.ModelChoiceField(
        queryset=locations_by_path(Location.objects.all()), required=False, empty_label="Not placed"
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "name",
            "kind",
            "location",
            "manufacturer",
            "model_name",
            "serial",
            "asset_tag",
            "uuid",
            "management_address",
            "owner",
            "supplier",
            "purchase_date",
            "purchase_cost",
            "warranty_end",
            "notes",
        ]
        widgets = {
            "purchase_date": DateInput(),
            "warranty_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "kind": forms.Select(choices=KIND_CHOICES),
        }
        help_texts = {"name": "How people refer to it: a host name such as HF-C4-PC01, or a service's name."}

    def __init__(self, *args: Any, user: Any, kind: str, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        creating = self.instance.pk is None
        self.fields["kind"].choices = KIND_CHOICES
        self.fields["owner"].label = "Owner or main user"
        self.fields["owner"].help_text = ""
        self.fields["owner"].empty_label = "Nobody in particular"
        self.fields["purchase_cost"].label = "Purchase cost (£)"
        if self.is_bound and self.data.get("kind") in KIND_ATTRIBUTES:
            kind = self.data["kind"]
        self.kind = kind
        self.fields["kind"].initial = kind
        if creating:
            self.fields["kind"].widget = forms.HiddenInput()  # chosen on the page before, with its attributes
            schools = manageable_schools(user)
            self.fields["school"].queryset = schools
            chosen = [s for s in schools if school is not None and s.pk == school.pk]
            if chosen:
                self.fields["school"].initial = chosen[0].pk
            if len(schools) <= 1:
                hide_school(self, schools)
            school_id = chosen[0].pk if chosen else (schools[0].pk if len(schools) == 1 else None)
        else:
            del self.fields["school"], self.fields["initial_status"]
            school_id = self.instance.school_id
        if school_id is not None:
            self.fields["location"].queryset = self.fields["location"].queryset.of_school(school_id)
            self.fields["owner"].queryset = (
                self.fields["owner"].queryset.with_role_at(school_id, set(Role.values)).order_by("first_name")
            )
        self.attribute_fields = {}
        attributes = self.instance.attributes if not creating else {}
        for name, attribute in KIND_ATTRIBUTES[kind].items():
            field_name = ATTRIBUTE_PREFIX + name
            self.fields[field_name] = AttributeField(attribute, initial=attributes.get(name))
            self.attribute_fields[attribute.label] = field_name

    def clean_school(self):
        school = self.cleaned_data.get("school") or getattr(self, "only_school", None)
        if school is None:
            raise ValidationError("Choose the school it belongs to.")
        return school

    @property
    def attribute_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.attribute_fields.values()]

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    def validate_unique(self) -> None:
        """The service checks the asset tag within the item's school, with a message naming the other item."""

    def changes(self) -> dict[str, Any]:
        """The fields for ci_create / ci_update: the model fields and the kind's attributes."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        data["attributes"] = {
            name: self.cleaned_data[ATTRIBUTE_PREFIX + name]
            for name in KIND_ATTRIBUTES[self.kind]
            if self.cleaned_data.get(ATTRIBUTE_PREFIX + name) is not None
        }
        return data

    def report(self, error: ValidationError) -> None:
        report_service_error(self, error, self.attribute_fields)


class TransitionForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


# =============================================================================
# Ports, cables, relationships
# =============================================================================

RANGE = re.compile(r"\[(\d+)-(\d+)\]")


def expand_names(pattern: str) -> list[str]:
    """ "gi1/0/[1-24]" -> gi1/0/1 ... gi1/0/24; a name without a range is itself."""
    match = RANGE.search(pattern)
    if match is None:
        return [pattern.strip()]
    first, last = int(match.group(1)), int(match.group(2))
    if last < first or last - first >= 256:
        raise ValidationError("A range runs from a lower to a higher number, at most 256 ports at a time.")
    return [f"{pattern[: match.start()]}{n}{pattern[match.end() :]}".strip() for n in range(first, last + 1)]


class PortForm(ScopedForm):
    """A port, or a run of them ("gi1/0/[1-24]"); a patch panel's front ports can bring their rear ports."""

    name = forms.CharField(
        max_length=60,
        help_text="One name (eth0, gi1/0/1), or a run of numbered ports such as gi1/0/[1-24] or [1-24].",
    )
    kind = forms.ChoiceField(choices=PortKind.choices, initial=PortKind.ETHERNET)
    with_rear = forms.BooleanField(
        required=False,
        initial=True,
        label="Give each front port its own rear port",
        help_text='For patch panels and wall sockets: front port 12 passes through to rear port "rear 12".',
    )
    rear_port = forms.ModelChoiceField(
        queryset=Port.objects.select_related("ci"),
        required=False,
        empty_label="Its own new rear port, or none",
        help_text="For one front port: an existing rear port it passes through to.",
    )
    speed_mbps = forms.IntegerField(label="Speed (Mbit/s)", required=False, min_value=1)
    mac = forms.CharField(label="MAC address", required=False, max_length=17)
    vlan = forms.IntegerField(label="VLAN", required=False, min_value=1, max_value=4094)
    ip_address = forms.GenericIPAddressField(label="IP address", required=False)
    is_uplink = forms.BooleanField(
        required=False, label="Uplink", help_text="Leads towards the core (a switch's port to the core switch)."
    )
    cable_expected = forms.BooleanField(
        required=False, label="Should be cabled", help_text="The CMDB audit reports it while it has no cable."
    )

    def __init__(self, *args: Any, ci: ConfigurationItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci = ci
        passive = ci.kind in PASSIVE_KINDS
        if passive:
            self.fields["kind"].choices = [(PortKind.FRONT, PortKind.FRONT.label), (PortKind.REAR, PortKind.REAR.label)]
            self.fields["kind"].initial = PortKind.FRONT
            self.fields["rear_port"].queryset = self.fields["rear_port"].queryset.filter(
                ci=ci, kind=PortKind.REAR, front_ports__isnull=True
            )
            for name in ("speed_mbps", "mac", "vlan", "ip_address", "is_uplink"):
                del self.fields[name]
        else:
            self.fields["kind"].choices = [c for c in PortKind.choices if c[0] not in (PortKind.FRONT, PortKind.REAR)]
            del self.fields["with_rear"], self.fields["rear_port"]

    def clean_name(self) -> list[str]:
        return expand_names(self.cleaned_data["name"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        names = data.get("name") or []
        if len(names) > 1 and (data.get("mac") or data.get("ip_address") or data.get("rear_port")):
            raise ValidationError("A MAC address, an IP address or a rear port belongs to one port: add it alone.")
        return data

    def ports(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, fields) of each port to create, rear ports first so front ports can map to them."""
        data = self.cleaned_data
        fields = {
            name: data[name]
            for name in ("kind", "speed_mbps", "mac", "vlan", "ip_address", "is_uplink", "cable_expected")
            if name in data and data[name] not in (None, "")
        }
        if data.get("rear_port"):
            fields["rear_port"] = data["rear_port"]
        return [(name, dict(fields)) for name in data["name"]]

    @property
    def pairs_rear_ports(self) -> bool:
        data = self.cleaned_data
        return bool(data.get("with_rear")) and data.get("kind") == PortKind.FRONT and not data.get("rear_port")


def _grouped_ports(ports: list[Port]) -> list[tuple[str, list[tuple[int, str]]]]:
    groups: dict[str, list[tuple[int, str]]] = {}
    for port in ports:
        label = port.name if port.kind not in (PortKind.FRONT, PortKind.REAR) else f"{port.name} ({port.kind})"
        groups.setdefault(port.ci.name, []).append((port.pk, label))
    return list(groups.items())


class CableForm(ScopedForm):
    """A cable from one of this item's free ports to a free port of another item of the same school."""

    a_port = forms.ModelChoiceField(
        queryset=Port.objects.select_related("ci"), label="From this item's port", empty_label="Choose a port"
    )
    b_port = forms.ModelChoiceField(
        queryset=Port.objects.select_related("ci"),
        label="To",
        help_text="Free ports of the school's other items, by item. A port holds one cable.",
    )
    type = forms.ChoiceField(choices=Cable.Type.choices, initial=Cable.Type.CAT6)
    label = forms.CharField(max_length=50, required=False, help_text="What is written on the cable, if anything.")
    colour = forms.CharField(max_length=20, required=False)
    length_m = forms.DecimalField(label="Length (m)", required=False, min_value=0, max_digits=6, decimal_places=2)

    def __init__(self, *args: Any, ci: ConfigurationItem, port: Port | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci = ci
        free = self.fields["a_port"].queryset.filter(cable__isnull=True).exclude(kind=PortKind.WIRELESS)
        self.fields["a_port"].queryset = free.filter(ci=ci)
        if port is not None:
            self.fields["a_port"].initial = port.pk
        # Only the same school's ports are offered: a cable never joins two schools.
        others = free.of_school(ci.school_id).exclude(ci=ci).order_by("ci__name", "name")
        self.fields["b_port"].queryset = others
        self.fields["b_port"].choices = [("", "Choose a port"), *_grouped_ports(list(others))]


class RelationshipForm(ScopedForm):
    """This item relies on another (or another relies on it): depends on, runs on, connected to, installed on."""

    direction = forms.ChoiceField(
        choices=[("out", "This item relies on the other"), ("in", "The other item relies on this one")],
        initial="out",
        widget=forms.RadioSelect,
    )
    kind = forms.ChoiceField(choices=Relationship.Kind.choices, initial=Relationship.Kind.DEPENDS_ON, label="How")
    other = forms.ModelChoiceField(queryset=ConfigurationItem.objects.all(), label="Other item")
    note = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, ci: ConfigurationItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci = ci
        others = self.fields["other"].queryset.of_school(ci.school_id).exclude(pk=ci.pk).order_by("name")
        self.fields["other"].queryset = others
        groups: dict[str, list[tuple[int, str]]] = {}
        labels = dict(Kind.choices)
        for item in others.only("pk", "name", "kind"):
            groups.setdefault(labels.get(item.kind, item.kind), []).append((item.pk, item.name))
        self.fields["other"].choices = [("", "Choose an item"), *sorted(groups.items())]

    def ends(self) -> tuple[ConfigurationItem, ConfigurationItem]:
        """(source, target): the source relies on the target."""
        other = self.cleaned_data["other"]
        return (self.ci, other) if self.cleaned_data["direction"] == "out" else (other, self.ci)


# =============================================================================
# Locations
# =============================================================================


class LocationForm(ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    kind = forms.ChoiceField(choices=Location.Kind.choices, initial=Location.Kind.ROOM, widget=forms.RadioSelect)
    name = forms.CharField(max_length=100, help_text="e.g. Main site, Junior block, Classroom 4, ICT suite.")
    parent = forms.ModelChoiceField(
        queryset=locations_by_path(Location.objects.exclude(kind=Location.Kind.ROOM)),
        required=False,
        label="Inside",
        empty_label="Nothing (a site)",
        help_text="A building is on a site; a room is in a building.",
    )

    def __init__(self, *args: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = manageable_schools(self.user)
        self.fields["school"].queryset = schools
        if school is not None and any(s.pk == school.pk for s in schools):
            self.fields["school"].initial = school.pk
            self.fields["parent"].queryset = self.fields["parent"].queryset.of_school(school.pk)
        if len(schools) <= 1:
            hide_school(self, schools)
            if schools:
                self.fields["parent"].queryset = self.fields["parent"].queryset.of_school(schools[0].pk)

    def clean_school(self):
        return self.cleaned_data["school"] or getattr(self, "only_school", None)


class PortEditForm(ScopedModelForm):
    """One port's details: the same rules as adding it (port_create and port_update share them)."""

    class Meta:
        model = Port
        fields = ["name", "kind", "speed_mbps", "mac", "vlan", "ip_address", "is_uplink", "cable_expected", "rear_port"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        port = self.instance
        self.fields["vlan"].widget.attrs.update(min=1, max=4094)
        rears = self.fields["rear_port"].queryset.filter(ci_id=port.ci_id, kind=PortKind.REAR)
        self.fields["rear_port"].queryset = rears.exclude(pk=port.pk)
        if port.ci.kind in PASSIVE_KINDS:
            self.fields["kind"].choices = [(PortKind.FRONT, PortKind.FRONT.label), (PortKind.REAR, PortKind.REAR.label)]
            for name in ("speed_mbps", "mac", "vlan", "ip_address", "is_uplink"):
                del self.fields[name]
        else:
            self.fields["kind"].choices = [c for c in PortKind.choices if c[0] not in (PortKind.FRONT, PortKind.REAR)]
            del self.fields["rear_port"]

    def validate_unique(self) -> None:
        """port_update checks the name within the item, with a message naming it."""

    def _post_clean(self) -> None:
        """The service validates the port (normalising the MAC first); the form only parses the fields."""

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields}


# =============================================================================
# Software and licences
# =============================================================================


class SchoolChoiceMixin:
    """A `school` field of the schools where the user keeps the CMDB, hidden when there is one."""

    def choose_school(self, school: Any) -> None:
        schools = manageable_schools(self.user)
        self.fields["school"].queryset = schools
        if school is not None and any(s.pk == school.pk for s in schools):
            self.fields["school"].initial = school.pk
        if len(schools) <= 1:
            hide_school(self, schools)

    def clean_school(self):
        school = self.cleaned_data.get("school") or getattr(self, "only_school", None)
        if school is None:
            raise ValidationError("Choose the school it belongs to.")
        return school


class SoftwareProductForm(SchoolChoiceMixin, ScopedForm):
    school = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=200, help_text="As the publisher names it, e.g. SMART Notebook.")
    publisher = forms.CharField(max_length=200, required=False)

    def __init__(self, *args: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.choose_school(school)


class InstallForm(ScopedForm):
    """Software installed on this device by hand (inventory agents report theirs themselves)."""

    product = forms.ModelChoiceField(queryset=SoftwareProduct.objects.all(), label="Software")
    version = forms.CharField(max_length=100, required=False)
    installed_on = forms.DateField(required=False, widget=DateInput())

    def __init__(self, *args: Any, ci: ConfigurationItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ci = ci
        self.fields["product"].queryset = self.fields["product"].queryset.of_school(ci.school_id).order_by("name")


class LicenceForm(SchoolChoiceMixin, ScopedModelForm):
    """A licence's terms; the school and the product are chosen once, when it is recorded."""

    school = forms.ModelChoiceField(queryset=None, empty_label=None)

    class Meta:
        model = Licence
        fields = ["product", "model", "seats", "reference", "supplier", "cost", "starts_on", "expires_on", "notes"]
        widgets = {"starts_on": DateInput(), "expires_on": DateInput(), "notes": forms.Textarea(attrs={"rows": 3})}
        labels = {"cost": "Cost (£)"}

    def __init__(self, *args: Any, school: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seats"].min_value = 0
        self.fields["seats"].widget.attrs["min"] = 0
        if self.instance.pk is None:
            self.choose_school(school)
            schools = list(self.fields["school"].queryset)
            chosen = getattr(self, "only_school", None) or school
            products = self.fields["product"].queryset
            if chosen is not None and chosen in schools:
                products = products.of_school(chosen.pk)  # else licence_create refuses another school's product
            self.fields["product"].queryset = products.select_related("school").order_by("name")
        else:
            del self.fields["school"], self.fields["product"]

    def validate_unique(self) -> None:
        """Nothing unique: a school may hold several licences for one product."""

    def _post_clean(self) -> None:
        """licence_create / licence_update check the terms (seats, dates) and the school."""

    def changes(self) -> dict[str, Any]:
        fields = [name for name in self._meta.fields if name in self.fields and name != "product"]
        return {name: self.cleaned_data[name] for name in fields}


class SeatForm(ScopedForm):
    """A seat of the licence for one device or one person of the school."""

    ci = forms.ModelChoiceField(queryset=ConfigurationItem.objects.all(), required=False, label="Device")
    user = forms.ModelChoiceField(queryset=User.objects.all(), required=False, label="Person")

    def __init__(self, *args: Any, licence: Licence, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.licence = licence
        devices = self.fields["ci"].queryset.of_school(licence.school_id)
        devices = devices.exclude(kind__in=LOGICAL_KINDS | PASSIVE_KINDS)
        self.fields["ci"].queryset = devices.exclude(status=LifecycleStatus.DISPOSED).order_by("name")
        people = self.fields["user"].queryset.with_role_at(licence.school_id, set(Role.values)).order_by("first_name")
        self.fields["user"].queryset = people
        if licence.model == Licence.Model.PER_DEVICE:
            del self.fields["user"]
        elif licence.model == Licence.Model.PER_USER:
            del self.fields["ci"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if bool(data.get("ci")) == bool(data.get("user")):
            raise ValidationError("Choose one device or one person.")
        return data

    def holder(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in ("ci", "user") if self.cleaned_data.get(name)}
