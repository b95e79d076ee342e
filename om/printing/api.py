"""The Print and Output Management API: printers with their supplies, print queues, cartridges, stock movements and
daily usage. Read-only but for recording a stock movement (POST /api/printing/movements/), which calls the service.
"""

from __future__ import annotations

import django_filters
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, ScopedViewSet
from om.printing import services
from om.printing.models import (
    CartridgeModel,
    MovementKind,
    Printer,
    PrintQueue,
    PrintUsageDay,
    StockMovement,
    Supply,
    SupplyState,
)


class PrintingAccessMixin:
    """Print management is for support staff: nobody else gets even an empty list."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.here_or_anywhere(access.can_view_printing).test(request.user, None):
            raise Http404


class SupplySerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="type_label", read_only=True)
    level_display = serializers.CharField(read_only=True)

    class Meta:
        model = Supply
        fields = ("id", "index", "description", "type", "unit", "max_capacity", "level", "percent", "level_display",
                  "state", "cartridge", "runs_out_on", "task", "last_read_at")  # fmt: skip
        read_only_fields = fields


class PrinterSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:printing-printer-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    name = serializers.CharField(source="ci.name", read_only=True)
    model = serializers.CharField(source="ci.model_name", read_only=True)
    address = serializers.CharField(source="ci.management_address", read_only=True)
    supplies = SupplySerializer(many=True, read_only=True)

    class Meta:
        model = Printer
        fields = ("id", "url", "display", "school", "ci", "name", "model", "address", "multifunction", "colour",
                  "reading_enabled", "page_count", "last_read_at", "failing_since", "last_error",
                  "supplies")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "page_count")


class PrinterFilterSet(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="school__slug")
    low = django_filters.BooleanFilter(method="filter_low", label="With a low or empty supply")

    class Meta:
        model = Printer
        fields = ("school", "low")

    def filter_low(self, queryset, name, value):
        low = {"supplies__state__in": [SupplyState.LOW, SupplyState.EMPTY]}
        return (queryset.filter(**low) if value else queryset.exclude(**low)).distinct()


class PrinterViewSet(PrintingAccessMixin, ScopedReadOnlyViewSet):
    """Printers read over SNMP, with their supplies' latest levels and their page counts."""

    queryset = Printer.objects.none()
    serializer_class = PrinterSerializer
    filterset_class = PrinterFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.for_list().order_by("ci__name", "pk")


class PrintQueueSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:printing-queue-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    server_name = serializers.CharField(source="server.name", default="", read_only=True)
    printer_name = serializers.CharField(source="printer.ci.name", read_only=True)

    class Meta:
        model = PrintQueue
        fields = ("id", "url", "display", "school", "name", "server", "server_name", "printer", "printer_name",
                  "driver", "duplex", "colour", "deployed_to", "notes")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display")


class PrintQueueViewSet(PrintingAccessMixin, ScopedReadOnlyViewSet):
    """Print queues: the server sharing each, the printer behind it, its driver and defaults."""

    queryset = PrintQueue.objects.none()
    serializer_class = PrintQueueSerializer

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "server", "printer__ci").order_by("name", "pk")


class CartridgeSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:printing-cartridge-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    needs_reorder = serializers.BooleanField(read_only=True)
    cost_per_page = serializers.DecimalField(max_digits=12, decimal_places=6, read_only=True)

    class Meta:
        model = CartridgeModel
        fields = ("id", "url", "display", "school", "name", "part_number", "colour", "yield_pages", "unit_cost",
                  "cost_per_page", "printer_models", "stock_on_hand", "reorder_level", "reorder_quantity",
                  "needs_reorder")  # fmt: skip
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "stock_on_hand")


class CartridgeFilterSet(django_filters.FilterSet):
    school = django_filters.CharFilter(field_name="school__slug")
    reorder = django_filters.BooleanFilter(method="filter_reorder", label="At or below the reorder level")

    class Meta:
        model = CartridgeModel
        fields = ("school", "colour", "reorder")

    def filter_reorder(self, queryset, name, value):
        return queryset.to_reorder() if value else queryset.exclude(pk__in=queryset.to_reorder().values("pk"))


class CartridgeViewSet(PrintingAccessMixin, ScopedReadOnlyViewSet):
    """The consumables stock list: stock on hand, reorder level and quantity, cost per page."""

    queryset = CartridgeModel.objects.none()
    serializer_class = CartridgeSerializer
    filterset_class = CartridgeFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school").order_by("name", "pk")


class StockMovementSerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    actor = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = StockMovement
        fields = ("id", "school", "cartridge", "kind", "quantity", "stock_after", "printer", "note", "actor", "at")
        read_only_fields = fields


class StockMovementInputSerializer(ScopedInputSerializer):
    cartridge = serializers.PrimaryKeyRelatedField(queryset=CartridgeModel.objects.all())
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    quantity = serializers.IntegerField(min_value=1, max_value=1000)
    printer = serializers.PrimaryKeyRelatedField(queryset=Printer.objects.all(), required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)


class StockMovementFilterSet(django_filters.FilterSet):
    # An id, not a choice: a choice filter's form (the browsable API) would list every school's cartridges.
    cartridge = django_filters.NumberFilter(field_name="cartridge_id")
    school = django_filters.CharFilter(field_name="school__slug")

    class Meta:
        model = StockMovement
        fields = ("cartridge", "kind", "school")


class StockMovementViewSet(PrintingAccessMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Stock movements, newest first. POST one (`cartridge`, `kind` received/fitted/written_off, `quantity`,
    optional `printer` and `note`): the stock changes with it, never below zero."""

    queryset = StockMovement.objects.none()
    serializer_class = StockMovementSerializer
    filterset_class = StockMovementFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "actor").order_by("-at", "-pk")

    @extend_schema(request=StockMovementInputSerializer, responses={201: StockMovementSerializer})
    def create(self, request, *args, **kwargs):
        payload = StockMovementInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        movement = services.stock_move(actor=request.user, **payload.validated_data)
        return Response(StockMovementSerializer(movement).data, status=status.HTTP_201_CREATED)


class UsageDaySerializer(serializers.ModelSerializer):
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = PrintUsageDay
        fields = ("id", "school", "printer", "day", "pages")
        read_only_fields = fields


class UsageDayFilterSet(django_filters.FilterSet):
    printer = django_filters.NumberFilter(field_name="printer_id")
    school = django_filters.CharFilter(field_name="school__slug")
    start = django_filters.DateFilter(field_name="day", lookup_expr="gte")
    end = django_filters.DateFilter(field_name="day", lookup_expr="lte")

    class Meta:
        model = PrintUsageDay
        fields = ("printer", "school", "start", "end")


class UsageDayViewSet(PrintingAccessMixin, ScopedReadOnlyViewSet):
    """Pages per printer per day, from the page-counter deltas."""

    queryset = PrintUsageDay.objects.none()
    serializer_class = UsageDaySerializer
    filterset_class = UsageDayFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school").order_by("-day", "printer_id")


routes = [
    ("printing/printers", PrinterViewSet, "printing-printer"),
    ("printing/queues", PrintQueueViewSet, "printing-queue"),
    ("printing/cartridges", CartridgeViewSet, "printing-cartridge"),
    ("printing/movements", StockMovementViewSet, "printing-movement"),
    ("printing/usage", UsageDayViewSet, "printing-usage"),
]
