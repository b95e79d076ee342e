"""The CMDB API: /api/cmdb/items/, locations, ports, cables, relationships, software, installations, licences.

Reads are scoped like every page; writes go through cmdb.services (a cable never joins two schools,
a relationship never crosses one). An item's lifecycle moves with POST .../transition/; its impact
(what fails with it) and what it depends on are GET actions, as are its field history and timeline.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as APIValidationError
from rest_framework.response import Response

from cmdb import services
from cmdb.filters import (
    CableFilterSet,
    ConfigurationItemFilterSet,
    LicenceFilterSet,
    LocationFilterSet,
    PortFilterSet,
    RelationshipFilterSet,
    SoftwareInstallationFilterSet,
    SoftwareProductFilterSet,
)
from cmdb.history import ci_history
from cmdb.models import (
    KIND_ATTRIBUTES,
    Cable,
    ConfigurationItem,
    Licence,
    LicenceSeat,
    LifecycleStatus,
    Location,
    Port,
    PortKind,
    Relationship,
    SoftwareInstallation,
    SoftwareProduct,
)
from cmdb.topology import Impact, depends_on, impact, trace
from fits import access
from fits.activity import timeline
from fits.api import ActivitySerializer, BriefSerializer, ScopedInputSerializer, ScopedViewSet, UserBriefSerializer
from fits.models import School, User

# =============================================================================
# Base
# =============================================================================


class CMDBViewSet(ScopedViewSet):
    """The CMDB is for support staff: for anyone else its endpoints list nothing and find nothing."""

    def get_queryset(self):
        queryset = super().get_queryset()
        if not access.here_or_anywhere(access.can_view_cmdb).test(self.request.user, None):
            return queryset.none()
        return queryset


# =============================================================================
# Brief representations, nested in the others
# =============================================================================


class LocationBriefSerializer(serializers.ModelSerializer):
    display = serializers.CharField(source="path", read_only=True)

    class Meta:
        model = Location
        fields = ("id", "display", "kind", "name")


class ItemBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-item-detail")
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ("id", "url", "display", "kind", "status")


class PlacedItemSerializer(ItemBriefSerializer):
    """A brief item with where it is: for impact lists."""

    location = serializers.SerializerMethodField()

    class Meta(ItemBriefSerializer.Meta):
        fields = (*ItemBriefSerializer.Meta.fields, "location")

    def get_location(self, ci: ConfigurationItem) -> str | None:
        return ci.location.path if ci.location_id else None


class PortBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-port-detail")
    display = serializers.CharField(source="__str__", read_only=True)
    ci = ItemBriefSerializer(read_only=True)

    class Meta:
        model = Port
        fields = ("id", "url", "display", "name", "kind", "ci")


class CableBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-cable-detail")
    display = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = Cable
        fields = ("id", "url", "display", "type", "label")


# =============================================================================
# Configuration items
# =============================================================================


class ConfigurationItemSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-item-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    location = LocationBriefSerializer(read_only=True)
    owner = UserBriefSerializer(read_only=True)
    actions = serializers.SerializerMethodField(help_text="The lifecycle actions you may take now.")

    class Meta:
        model = ConfigurationItem
        fields = (
            "id",
            "url",
            "display",
            "school",
            "name",
            "kind",
            "kind_display",
            "status",
            "status_display",
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
            "attributes",
            "last_inventory_at",
            "created_at",
            "updated_at",
            "actions",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "kind", "status")

    def get_actions(self, ci: ConfigurationItem) -> list[str]:
        request = self.context.get("request")
        return [t.name for t in ConfigurationItem.WORKFLOW.available(request.user, ci)] if request else []


class ConfigurationItemWriteSerializer(ScopedInputSerializer):
    """What it takes to record or change an item. `attributes` are the kind's own (see KIND_ATTRIBUTES)."""

    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), help_text="On create only.")
    name = serializers.CharField(max_length=150)
    kind = serializers.ChoiceField(choices=sorted(KIND_ATTRIBUTES))
    status = serializers.ChoiceField(
        choices=[LifecycleStatus.ORDERED, LifecycleStatus.IN_STOCK, LifecycleStatus.LIVE],
        required=False,
        help_text="The status it starts in (on create only); later moves are POST .../transition/.",
    )
    location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False, allow_null=True)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    manufacturer = serializers.CharField(max_length=100, required=False, allow_blank=True)
    model_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    serial = serializers.CharField(max_length=100, required=False, allow_blank=True)
    asset_tag = serializers.CharField(max_length=50, required=False, allow_blank=True)
    uuid = serializers.CharField(max_length=64, required=False, allow_blank=True)
    management_address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    supplier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    purchase_date = serializers.DateField(required=False, allow_null=True)
    purchase_cost = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)
    warranty_end = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    attributes = serializers.DictField(required=False)


class ItemTransitionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=sorted(ConfigurationItem.WORKFLOW.actions))
    note = serializers.CharField(required=False, default="", allow_blank=True)


class AffectedSerializer(serializers.Serializer):
    ci = PlacedItemSerializer(read_only=True)
    depth = serializers.IntegerField(help_text="1: directly; 2: through one other item; ...")
    via = ItemBriefSerializer(read_only=True, help_text="The item it is reached through.")
    how = serializers.CharField(help_text='How it relates to `via`: "depends on", "runs on", "is cabled to"...')


class ImpactSerializer(serializers.Serializer):
    root = ItemBriefSerializer(read_only=True)
    items = AffectedSerializer(many=True, read_only=True)
    rooms = LocationBriefSerializer(many=True, read_only=True)
    services = ItemBriefSerializer(many=True, read_only=True)


class FieldChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.JSONField(allow_null=True)
    new = serializers.JSONField(allow_null=True)


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    user = UserBriefSerializer(allow_null=True)
    type = serializers.ChoiceField(choices=["created", "changed", "deleted"])
    changes = FieldChangeSerializer(many=True)


class ConfigurationItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Configuration items of your schools: computers, network devices, software, the services themselves.

    Record one with POST and change it with PATCH (through the same rules as the pages); its status
    moves only with `transition`. `impact` says what fails with it, `depends-on` what it relies on,
    `history` who changed what, `activity` its timeline.
    """

    queryset = ConfigurationItem.objects.none()
    serializer_class = ConfigurationItemSerializer
    filterset_class = ConfigurationItemFilterSet

    def get_queryset(self):
        return super().get_queryset().for_list()

    @extend_schema(request=ConfigurationItemWriteSerializer, responses={201: ConfigurationItemSerializer})
    def create(self, request, *args, **kwargs):
        payload = ConfigurationItemWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        ci = services.ci_create(school=data.pop("school"), actor=request.user, status=data.pop("status", None), **data)
        return Response(self.get_serializer(ci).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ConfigurationItemWriteSerializer, responses=ConfigurationItemSerializer)
    def update(self, request, *args, partial: bool = False, **kwargs):
        ci = self.get_object()
        for name in ("status", "school"):
            if name in request.data:
                hint = "POST .../transition/" if name == "status" else "record it at the other school"
                raise APIValidationError({name: f"The {name} cannot be changed here: {hint}."})
        payload = ConfigurationItemWriteSerializer(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        payload.fields["school"].required = False  # an item stays at its school
        payload.is_valid(raise_exception=True)
        ci = services.ci_update(ci=ci, actor=request.user, **payload.validated_data)  # attributes: replaced whole
        return Response(self.get_serializer(self.get_queryset().get(pk=ci.pk)).data)

    @extend_schema(request=ConfigurationItemWriteSerializer, responses=ConfigurationItemSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=ItemTransitionSerializer, responses=ConfigurationItemSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None, format=None):
        payload = ItemTransitionSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        ci = services.ci_transition(ci=self.get_object(), actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(ci).data)

    def _walk(self, result: Impact) -> Response:
        data = {"root": result.root, "items": result.items, "rooms": result.rooms, "services": result.services}
        return Response(ImpactSerializer(data, context=self.get_serializer_context()).data)

    @extend_schema(responses=ImpactSerializer)
    @action(detail=True, methods=["get"])
    def impact(self, request, pk=None, format=None):
        """What fails with this item: downstream items by depth (with the item each is reached through
        and how), the rooms they are in, and the services among them."""
        return self._walk(impact(self.get_object()))

    @extend_schema(responses=ImpactSerializer)
    @action(detail=True, methods=["get"], url_path="depends-on")
    def depends_on(self, request, pk=None, format=None):
        """What this item relies on (upstream): its targets, and the network path towards the core."""
        return self._walk(depends_on(self.get_object()))

    @extend_schema(responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None, format=None):
        """Every saved version of the item, newest first: who, when, and each field before and after."""
        entries = ci_history(self.get_object(), request.user)
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(HistoryEntrySerializer(page, many=True).data)

    @extend_schema(responses=ActivitySerializer(many=True))
    @action(detail=True, methods=["get"])
    def activity(self, request, pk=None, format=None):
        """The item's timeline, oldest first: recorded, lifecycle moves with their notes, cables, relationships."""
        page = self.paginate_queryset(timeline(self.get_object(), include_internal=True))
        return self.get_paginated_response(ActivitySerializer(page, many=True).data)


# =============================================================================
# Locations
# =============================================================================


class LocationSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-location-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    parent = LocationBriefSerializer(read_only=True)
    path = serializers.CharField(read_only=True)

    class Meta:
        model = Location
        fields = ("id", "url", "display", "school", "kind", "name", "path", "parent", "notes")
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "kind")


class LocationWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    kind = serializers.ChoiceField(choices=Location.Kind.choices)
    name = serializers.CharField(max_length=100)
    parent = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False, allow_null=True)


class LocationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Sites, buildings on them and rooms in them. Add one with POST."""

    queryset = Location.objects.none()
    serializer_class = LocationSerializer
    filterset_class = LocationFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school", "parent__parent").order_by("pk")

    @extend_schema(request=LocationWriteSerializer, responses={201: LocationSerializer})
    def create(self, request, *args, **kwargs):
        payload = LocationWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        location = services.location_create(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(location).data, status=status.HTTP_201_CREATED)


# =============================================================================
# Ports, cables, relationships
# =============================================================================


class PortSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-port-detail")
    ci = ItemBriefSerializer(read_only=True)
    connected_endpoint = PortBriefSerializer(read_only=True, help_text="The far end of the whole cable path.")

    class Meta:
        model = Port
        fields = (
            "id",
            "url",
            "display",
            "ci",
            "name",
            "kind",
            "speed_mbps",
            "mac",
            "vlan",
            "ip_address",
            "is_uplink",
            "cable_expected",
            "rear_port",
            "cable",
            "connected_endpoint",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "name", "kind")


class PortWriteSerializer(ScopedInputSerializer):
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    name = serializers.CharField(max_length=64)
    kind = serializers.ChoiceField(choices=PortKind.choices, default=PortKind.ETHERNET)
    speed_mbps = serializers.IntegerField(required=False, allow_null=True, min_value=1)
    mac = serializers.CharField(required=False, allow_blank=True, max_length=17)
    vlan = serializers.IntegerField(required=False, allow_null=True, help_text="1-4094.")
    ip_address = serializers.IPAddressField(required=False, allow_null=True)
    is_uplink = serializers.BooleanField(required=False, default=False)
    cable_expected = serializers.BooleanField(required=False, default=False)
    rear_port = serializers.PrimaryKeyRelatedField(queryset=Port.objects.all(), required=False, allow_null=True)


class TraceSerializer(serializers.Serializer):
    complete = serializers.BooleanField(help_text="Both ends are real interfaces, not a panel or socket port.")
    ports = PortBriefSerializer(many=True, help_text="From one end to the other.")
    links = serializers.SerializerMethodField(
        help_text="links[i] joins ports[i] and ports[i + 1]: a cable, or null where the path passes through a panel."
    )

    @extend_schema_field(CableBriefSerializer(many=True, allow_null=True))
    def get_links(self, path: dict[str, Any]) -> list[dict[str, Any] | None]:
        return [CableBriefSerializer(link, context=self.context).data if link else None for link in path["links"]]


class PortViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Ports of items: switch ports, network cards, patch panel fronts and rears. `trace` follows the cable path."""

    queryset = Port.objects.none()
    serializer_class = PortSerializer
    filterset_class = PortFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("ci", "connected_endpoint__ci").order_by("ci__name", "name")

    @extend_schema(request=PortWriteSerializer, responses={201: PortSerializer})
    def create(self, request, *args, **kwargs):
        payload = PortWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = {k: v for k, v in payload.validated_data.items() if v is not None}
        port = services.port_create(actor=request.user, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=port.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=PortWriteSerializer, responses=PortSerializer)
    def update(self, request, *args, partial: bool = False, **kwargs):
        port = self.get_object()
        if "ci" in request.data:
            raise APIValidationError({"ci": "A port stays on its item: remove it and add it to the other."})
        payload = PortWriteSerializer(data=request.data, partial=partial, context=self.get_serializer_context())
        payload.fields["ci"].required = False
        payload.is_valid(raise_exception=True)
        port = services.port_update(port=port, actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=port.pk)).data)

    @extend_schema(request=PortWriteSerializer, responses=PortSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def destroy(self, request, *args, **kwargs):
        """Remove the port; a cabled one is refused until its cable is disconnected."""
        services.port_remove(port=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=TraceSerializer)
    @action(detail=True, methods=["get"])
    def trace(self, request, pk=None, format=None):
        """The whole cable path through this port, end to end (through patch panels and wall sockets)."""
        path = trace(self.get_object())
        data = {"complete": path.complete, "ports": path.ports, "links": path.links}
        return Response(TraceSerializer(data, context=self.get_serializer_context()).data)


class CableSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-cable-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    a_port = PortBriefSerializer(read_only=True)
    b_port = PortBriefSerializer(read_only=True)

    class Meta:
        model = Cable
        fields = (
            "id",
            "url",
            "display",
            "school",
            "a_port",
            "b_port",
            "type",
            "label",
            "colour",
            "length_m",
            "created_at",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "type")


class CableWriteSerializer(ScopedInputSerializer):
    a_port = serializers.PrimaryKeyRelatedField(queryset=Port.objects.all())
    b_port = serializers.PrimaryKeyRelatedField(queryset=Port.objects.all())
    type = serializers.ChoiceField(choices=Cable.Type.choices, default=Cable.Type.CAT6)
    label = serializers.CharField(max_length=50, required=False, allow_blank=True)
    colour = serializers.CharField(max_length=20, required=False, allow_blank=True)
    length_m = serializers.DecimalField(max_digits=6, decimal_places=2, required=False, allow_null=True)


class CableViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Cables between two ports of the same school. Connect with POST, disconnect with DELETE."""

    queryset = Cable.objects.none()
    serializer_class = CableSerializer
    filterset_class = CableFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school", "a_port__ci", "b_port__ci").order_by("pk")

    @extend_schema(request=CableWriteSerializer, responses={201: CableSerializer})
    def create(self, request, *args, **kwargs):
        payload = CableWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        cable = services.cable_connect(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=cable.pk)).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.cable_disconnect(cable=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RelationshipSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-relationship-detail")
    source = ItemBriefSerializer(read_only=True, help_text="Relies on the target.")
    target = ItemBriefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = Relationship
        fields = ("id", "url", "display", "source", "kind", "kind_display", "target", "note")
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "kind")


class RelationshipWriteSerializer(ScopedInputSerializer):
    source = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), help_text="Relies on...")
    target = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), help_text="...this one.")
    kind = serializers.ChoiceField(choices=Relationship.Kind.choices, default=Relationship.Kind.DEPENDS_ON)
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RelationshipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """What relies on what: `source` depends on, runs on, is connected to or is installed on `target`."""

    queryset = Relationship.objects.none()
    serializer_class = RelationshipSerializer
    filterset_class = RelationshipFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("source", "target").order_by("pk")

    @extend_schema(request=RelationshipWriteSerializer, responses={201: RelationshipSerializer})
    def create(self, request, *args, **kwargs):
        payload = RelationshipWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        relationship = services.relationship_add(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(relationship).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.relationship_remove(relationship=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# =============================================================================
# Software and licences (from inventory, or recorded by hand here)
# =============================================================================


class SoftwareProductSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-software-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    installations = serializers.IntegerField(source="installs", read_only=True, help_text="Devices it is on.")
    seats_bought = serializers.IntegerField(read_only=True, allow_null=True, help_text="Null: unlimited or none.")

    class Meta:
        model = SoftwareProduct
        fields = ("id", "url", "display", "school", "name", "publisher", "installations", "seats_bought")
        read_only_fields = fields
        brief_fields = ("id", "url", "display")


class ProductBriefSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-software-detail")
    display = serializers.CharField(source="name", read_only=True)

    class Meta:
        model = SoftwareProduct
        fields = ("id", "url", "display", "publisher")


class SoftwareProductWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all())
    name = serializers.CharField(max_length=200)
    publisher = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class SoftwareProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Software products the school knows of, with the devices they are on and the seats bought. Add one with POST."""

    queryset = SoftwareProduct.objects.none()
    serializer_class = SoftwareProductSerializer
    filterset_class = SoftwareProductFilterSet

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
            .annotate(installs=Count("installations", distinct=True), seats_bought=Subquery(bought))
            .order_by("name", "pk")
        )

    @extend_schema(request=SoftwareProductWriteSerializer, responses={201: SoftwareProductSerializer})
    def create(self, request, *args, **kwargs):
        payload = SoftwareProductWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        product = services.software_product_create(actor=request.user, **payload.validated_data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=product.pk)).data, status=status.HTTP_201_CREATED
        )


class SoftwareInstallationSerializer(BriefSerializer):
    ci = ItemBriefSerializer(read_only=True)
    product = serializers.SerializerMethodField()

    class Meta:
        model = SoftwareInstallation
        fields = ("id", "display", "ci", "product", "version", "installed_on", "source")
        read_only_fields = fields
        brief_fields = ("id", "display", "version")

    def get_product(self, installation: SoftwareInstallation) -> dict[str, Any]:
        product = installation.product
        return {"id": product.pk, "display": product.name, "publisher": product.publisher}


class SoftwareInstallationWriteSerializer(ScopedInputSerializer):
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), help_text="A device.")
    product = serializers.PrimaryKeyRelatedField(queryset=SoftwareProduct.objects.all())
    version = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    installed_on = serializers.DateField(required=False, allow_null=True, default=None)


class SoftwareInstallationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Which version of which software is on which item (filter by `ci_id` or `product_id`).

    Record one by hand with POST; DELETE takes one recorded by hand off (what the inventory agent
    reported comes back with its next inventory, so it is refused).
    """

    queryset = SoftwareInstallation.objects.none()
    serializer_class = SoftwareInstallationSerializer
    filterset_class = SoftwareInstallationFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("ci", "product").order_by("pk")

    @extend_schema(request=SoftwareInstallationWriteSerializer, responses={201: SoftwareInstallationSerializer})
    def create(self, request, *args, **kwargs):
        payload = SoftwareInstallationWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        installation = services.software_install(actor=request.user, **payload.validated_data)
        return Response(self.get_serializer(installation).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        services.software_uninstall(installation=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SeatSerializer(serializers.ModelSerializer):
    ci = ItemBriefSerializer(read_only=True)
    user = UserBriefSerializer(read_only=True)

    class Meta:
        model = LicenceSeat
        fields = ("id", "ci", "user", "assigned_at")


class LicenceSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:cmdb-licence-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    product = ProductBriefSerializer(read_only=True)
    seats_used = serializers.IntegerField(read_only=True)
    installed = serializers.IntegerField(read_only=True, help_text="Devices the product is installed on.")
    holders = SeatSerializer(source="seat_assignments", many=True, read_only=True, help_text="Who uses its seats.")

    class Meta:
        model = Licence
        fields = (
            "id",
            "url",
            "display",
            "school",
            "product",
            "model",
            "seats",
            "seats_used",
            "installed",
            "holders",
            "reference",
            "supplier",
            "cost",
            "starts_on",
            "expires_on",
            "notes",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "seats", "seats_used")


class LicenceWriteSerializer(ScopedInputSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", queryset=School.objects.all(), help_text="On create only.")
    product = serializers.PrimaryKeyRelatedField(queryset=SoftwareProduct.objects.all(), help_text="On create only.")
    model = serializers.ChoiceField(choices=Licence.Model.choices, required=False)
    seats = serializers.IntegerField(required=False, allow_null=True, min_value=0, help_text="Null: unlimited.")
    reference = serializers.CharField(max_length=100, required=False, allow_blank=True)
    supplier = serializers.CharField(max_length=100, required=False, allow_blank=True)
    cost = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0)
    starts_on = serializers.DateField(required=False, allow_null=True)
    expires_on = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


class SeatHolderSerializer(ScopedInputSerializer):
    """One of `ci` (a device) or `user` (a person with a role at the school); to release, `seat` will do too."""

    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False, allow_null=True)
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)


class SeatReleaseSerializer(SeatHolderSerializer):
    seat = serializers.PrimaryKeyRelatedField(queryset=LicenceSeat.objects.all(), required=False, allow_null=True)


class LicenceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CMDBViewSet):
    """Licences: seats bought, seats used and who uses them, against the devices the product is on.

    Record one with POST and change its terms with PATCH; `assign` gives a seat to a device or a
    person (refused when every seat is taken), `release` frees one.
    """

    queryset = Licence.objects.none()
    serializer_class = LicenceSerializer
    filterset_class = LicenceFilterSet

    def get_queryset(self):
        seats = LicenceSeat.objects.visible_to(self.request.user).select_related("ci", "user")
        queryset = super().get_queryset()
        return (
            queryset.select_related("school", "product")
            .prefetch_related(Prefetch("seat_assignments", queryset=seats))
            .annotate(
                seats_used=Count("seat_assignments", distinct=True),
                installed=Count("product__installations", distinct=True),
            )
            .order_by("product__name", "pk")
        )

    def _fresh(self, licence: Licence) -> Response:
        return Response(self.get_serializer(self.get_queryset().get(pk=licence.pk)).data)

    @extend_schema(request=LicenceWriteSerializer, responses={201: LicenceSerializer})
    def create(self, request, *args, **kwargs):
        payload = LicenceWriteSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        licence = services.licence_create(actor=request.user, **payload.validated_data)
        response = self._fresh(licence)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=LicenceWriteSerializer, responses=LicenceSerializer)
    def update(self, request, *args, partial: bool = False, **kwargs):
        licence = self.get_object()
        for name in ("school", "product"):
            if name in request.data:
                raise APIValidationError({name: f"The {name} of a licence cannot be changed: record a new licence."})
        payload = LicenceWriteSerializer(data=request.data, partial=partial, context=self.get_serializer_context())
        payload.fields["school"].required = payload.fields["product"].required = False
        payload.is_valid(raise_exception=True)
        licence = services.licence_update(licence=licence, actor=request.user, **payload.validated_data)
        return self._fresh(licence)

    @extend_schema(request=LicenceWriteSerializer, responses=LicenceSerializer)
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=SeatHolderSerializer, responses={201: LicenceSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None, format=None):
        """Give a seat to a device (`ci`) or a person (`user`); refused when all seats are taken."""
        licence = self.get_object()
        payload = SeatHolderSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        services.licence_seat_assign(licence=licence, actor=request.user, **payload.validated_data)
        response = self._fresh(licence)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=SeatReleaseSerializer, responses=LicenceSerializer)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None, format=None):
        """Free the seat held by `ci` or `user` (or the seat with id `seat`)."""
        licence = self.get_object()
        payload = SeatReleaseSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        given = {name: value for name, value in payload.validated_data.items() if value is not None}
        if len(given) != 1:
            raise APIValidationError("Name one seat: its `seat` id, or the `ci` or `user` holding it.")
        ((name, value),) = given.items()
        seat = (
            LicenceSeat.objects.visible_to(request.user)
            .filter(licence=licence, **{"pk" if name == "seat" else name: getattr(value, "pk", value)})
            .first()
        )
        if seat is None:
            raise APIValidationError({name: f"{value} holds no seat of {licence}."})
        services.licence_seat_release(seat=seat, actor=request.user)
        return self._fresh(licence)


routes = [
    ("cmdb/items", ConfigurationItemViewSet, "cmdb-item"),
    ("cmdb/locations", LocationViewSet, "cmdb-location"),
    ("cmdb/ports", PortViewSet, "cmdb-port"),
    ("cmdb/cables", CableViewSet, "cmdb-cable"),
    ("cmdb/relationships", RelationshipViewSet, "cmdb-relationship"),
    ("cmdb/software", SoftwareProductViewSet, "cmdb-software"),
    ("cmdb/installations", SoftwareInstallationViewSet, "cmdb-installation"),
    ("cmdb/licences", LicenceViewSet, "cmdb-licence"),
]
