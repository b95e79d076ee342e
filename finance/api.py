"""The Financial Management API: /api/finance/suppliers/, contracts/, budgets/ (with their lines), expenditure/ (POST
records a line through the service), ci-costs/ (CIs with their depreciation and book value today) and reports/
(each visible school's figures for its current financial year, side by side).

Authenticated like the rest of the API; every write calls finance/services.py."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from cmdb.models import LOGICAL_KINDS, ConfigurationItem
from finance import figures, services
from finance.filters import ContractFilterSet, ExpenditureFilterSet, SupplierFilterSet
from finance.models import Budget, BudgetLine, Category, Contract, Expenditure, Stage, Supplier
from fits import access
from fits.api import BriefSerializer, ScopedInputSerializer, ScopedReadOnlyViewSet, ScopedViewSet
from fits.scoping import schools_visible_to


class SupplierSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:finance-supplier-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Supplier
        fields = ("id", "url", "display", "school", "name", "contact", "phone", "email", "account_number", "notes")
        read_only_fields = fields
        brief_fields = ("id", "url", "display")


class SupplierViewSet(ScopedReadOnlyViewSet):
    """The school's suppliers."""

    queryset = Supplier.objects.none()
    serializer_class = SupplierSerializer
    filterset_class = SupplierFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school").order_by("name", "pk")


class ContractSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:finance-contract-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    supplier = serializers.StringRelatedField()
    owner = serializers.StringRelatedField()
    cis = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    notice_date = serializers.DateField(read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Contract
        fields = (
            "id",
            "url",
            "display",
            "school",
            "supplier",
            "title",
            "kind",
            "reference",
            "starts_on",
            "ends_on",
            "notice_days",
            "notice_date",
            "status",
            "annual_cost",
            "payment_frequency",
            "auto_renew",
            "cis",
            "owner",
            "documents",
            "alert_task",
        )
        read_only_fields = fields
        brief_fields = ("id", "url", "display", "ends_on", "notice_date")

    def get_status(self, contract: Contract) -> str:
        return contract.status_on(timezone.localdate())


class ContractViewSet(ScopedReadOnlyViewSet):
    """Contracts with their notice date and status (active, in notice, lapsed, renewed, cancelled)."""

    queryset = Contract.objects.none()
    serializer_class = ContractSerializer
    filterset_class = ContractFilterSet

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("school", "supplier", "owner").prefetch_related("cis").order_by("ends_on", "pk")


class BudgetLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BudgetLine
        fields = ("category", "amount", "plan")
        read_only_fields = fields


class BudgetSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:finance-budget-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    lines = BudgetLineSerializer(many=True, read_only=True)
    holder = serializers.StringRelatedField()

    class Meta:
        model = Budget
        fields = ("id", "url", "display", "school", "year", "holder", "notes", "lines")
        read_only_fields = fields


class BudgetViewSet(ScopedReadOnlyViewSet):
    """Budgets per financial year (`year`: the calendar year it starts in), with a line per category."""

    queryset = Budget.objects.none()
    serializer_class = BudgetSerializer
    filterset_fields = ("year",)

    def get_queryset(self):
        return (
            super().get_queryset().select_related("school", "holder").prefetch_related("lines").order_by("-year", "pk")
        )


class ExpenditureSerializer(BriefSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="api:finance-expenditure-detail")
    school = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    supplier_name = serializers.CharField(source="supplier.name", read_only=True, default="")

    class Meta:
        model = Expenditure
        fields = (
            "id",
            "url",
            "display",
            "school",
            "spent_on",
            "supplier",
            "supplier_name",
            "item",
            "category",
            "amount",
            "vat",
            "stage",
            "ci",
            "contract",
            "order_reference",
            "source_key",
            "created_at",
        )
        read_only_fields = fields


class ExpenditureInputSerializer(ScopedInputSerializer):
    school = serializers.SlugField(help_text="The school's slug.")
    spent_on = serializers.DateField()
    supplier = serializers.PrimaryKeyRelatedField(queryset=Supplier.objects.all(), required=False, allow_null=True)
    item = serializers.CharField(max_length=200)
    category = serializers.ChoiceField(choices=Category.choices)
    amount = serializers.DecimalField(max_digits=10, decimal_places=2)
    vat = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, default=0)
    stage = serializers.ChoiceField(choices=Stage.choices, required=False, default=Stage.PAID)
    ci = serializers.PrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all(), required=False, allow_null=True)
    contract = serializers.PrimaryKeyRelatedField(queryset=Contract.objects.all(), required=False, allow_null=True)
    order_reference = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class ExpenditureViewSet(ScopedReadOnlyViewSet):
    """The expenditure record. POST records a line (the financial manager or the desk)."""

    queryset = Expenditure.objects.none()
    serializer_class = ExpenditureSerializer
    filterset_class = ExpenditureFilterSet

    def get_queryset(self):
        return super().get_queryset().select_related("school", "supplier").order_by("-spent_on", "-pk")

    @extend_schema(request=ExpenditureInputSerializer, responses={201: ExpenditureSerializer})
    def create(self, request, *args, **kwargs):
        payload = ExpenditureInputSerializer(data=request.data, context=self.get_serializer_context())
        payload.is_valid(raise_exception=True)
        data = dict(payload.validated_data)
        school = schools_visible_to(request.user).filter(slug=data.pop("school")).first()
        if school is None:
            raise serializers.ValidationError({"school": "No such school of yours."})
        line = services.expenditure_record(actor=request.user, school=school, **data)
        return Response(self.get_serializer(self.get_queryset().get(pk=line.pk)).data, status=status.HTTP_201_CREATED)


class CICostSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="ci.pk")
    name = serializers.CharField(source="ci.name")
    school = serializers.CharField(source="ci.school.slug")
    kind = serializers.CharField(source="ci.kind")
    purchase_date = serializers.DateField(source="ci.purchase_date")
    purchase_cost = serializers.DecimalField(source="ci.purchase_cost", max_digits=10, decimal_places=2)
    method = serializers.CharField()
    life_years = serializers.IntegerField()
    depreciation = serializers.DecimalField(
        source="figures.depreciation", max_digits=10, decimal_places=2, default=None
    )
    book_value = serializers.DecimalField(source="figures.book_value", max_digits=10, decimal_places=2, default=None)
    replace_on = serializers.DateField()
    warranty_end = serializers.DateField(source="ci.warranty_end")


class CICostViewSet(ScopedReadOnlyViewSet):
    """CIs with a purchase cost: their depreciation method, book value today and replacement date."""

    queryset = ConfigurationItem.objects.none()
    serializer_class = CICostSerializer
    filterset_fields = ("kind",)

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.exclude(kind__in=LOGICAL_KINDS).select_related("school", "finance_cost").order_by("name", "pk")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset()).filter(purchase_cost__isnull=False)
        page = self.paginate_queryset(queryset)
        rows = figures.ci_rows(list(page if page is not None else queryset), on=timezone.localdate())
        data = CICostSerializer(rows, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        (row,) = figures.ci_rows([self.get_object()], on=timezone.localdate())
        return Response(CICostSerializer(row).data)


class ReportLineSerializer(serializers.Serializer):
    category = serializers.CharField()
    budget = serializers.DecimalField(max_digits=12, decimal_places=2)
    committed = serializers.DecimalField(max_digits=12, decimal_places=2)
    actual = serializers.DecimalField(max_digits=12, decimal_places=2)
    remaining = serializers.DecimalField(max_digits=12, decimal_places=2)


class ReportSerializer(serializers.Serializer):
    school = serializers.CharField(source="school.slug")
    school_name = serializers.CharField(source="school.name")
    year = serializers.IntegerField()
    label = serializers.CharField()
    pupils = serializers.IntegerField()
    devices = serializers.IntegerField()
    total = ReportLineSerializer()
    per_pupil = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    per_device = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    lines = ReportLineSerializer(source="rows", many=True)


class ReportViewSet(mixins.ListModelMixin, ScopedViewSet):
    """Each school's figures for its current financial year (?year= for another), side by side: budget, committed,
    actual per category, spend per pupil and per device. For leaders, the network manager and the LEA."""

    queryset = Budget.objects.none()
    serializer_class = ReportSerializer
    pagination_class = None

    def list(self, request, *args, **kwargs):
        schools = [
            s
            for s in schools_visible_to(request.user).order_by("name")
            if access.can_view_finance_reports.test(request.user, s)
        ]
        slug = request.query_params.get("school")
        if slug:
            schools = [s for s in schools if s.slug == slug]
        try:
            year = int(request.query_params.get("year", "")) or None
        except ValueError:
            year = None
        found = figures.year_figures(schools, today=timezone.localdate(), year=year, devices=True)
        return Response(ReportSerializer([found[s.pk] for s in schools], many=True).data)


routes = [
    ("finance/suppliers", SupplierViewSet, "finance-supplier"),
    ("finance/contracts", ContractViewSet, "finance-contract"),
    ("finance/budgets", BudgetViewSet, "finance-budget"),
    ("finance/expenditure", ExpenditureViewSet, "finance-expenditure"),
    ("finance/ci-costs", CICostViewSet, "finance-ci-cost"),
    ("finance/reports", ReportViewSet, "finance-report"),
]
