"""Pages: the API's `?limit=` and `?offset=` (50 records unless asked, at most 1,000), and a page of ids read
in one query with what the page shows (in_page)."""

from typing import Any

from django.core.paginator import Paginator
from django.db.models import F, Q, QuerySet
from django.db.models.lookups import Lookup
from django_tables2.rows import BoundRows
from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """An offset past any table is an empty page, not a database error (SQLite's integers stop at 2**63)."""

    max_limit = 1000

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), 2**62)


class InPage(Lookup):
    """`column IN (subquery)` for one page's ids (an ordered, LIMITed subquery), which PostgreSQL is given as an
    array worked out first: `column = ANY(ARRAY(subquery))`.

    Written as IN, the page becomes one more relation of the outer query's joins, and the planner weighs every
    order of them against every index of a large table: 7 ms of planning for the workbench's page of fifty
    tickets with what they show, against 1.5 ms with the array (and the same rows, in the outer query's order).
    Other databases get the plain IN.
    """

    lookup_name = "in_page"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} IN {rhs}", (*lhs_params, *rhs_params)

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)


def in_page(ids: QuerySet, path: str = "pk") -> Q:
    """`Q(<path>__in=ids)` for a page of ids (`ids`: a queryset of one column, e.g. `.values("pk")[start:stop]`)."""
    return Q(InPage(F(path), ids))


# A list counts this far and then says "10,000+" (or as far as the page asked for): an authority's 1.5 million
# tickets are not counted on every page.
COUNT_CAP = 10_000
MAX_PER_PAGE = 500


class PageByIds(Paginator):
    """A django-tables2 table's pages, each found by its ids first (the sort and the rows skipped read the ticket
    table's own indexes, no joins), then read whole with what the table shows for those rows only (in_page).
    With a capped count (`capped_length`), a list over a whole authority costs what one school's does.
    `?per_page=` is held to MAX_PER_PAGE (a million would read every row at once)."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(object_list, min(int(per_page), MAX_PER_PAGE), *args, **kwargs)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        queryset = getattr(rows.data, "data", None)
        if not isinstance(queryset, QuerySet) or queryset.query.distinct:
            return super().page(number)
        # The sort with the id last: equal values fall in one order on every page.
        ordering = [*(queryset.query.order_by or queryset.model._meta.ordering)]
        if not {"pk", "-pk", "id", "-id"} & set(ordering):
            queryset = queryset.order_by(*ordering, "pk")
        page = queryset.filter(in_page(queryset.values("pk")[bottom:top]))
        return self._get_page(BoundRows(data=page, table=rows.table, pinned_data=rows.pinned_data), number, self)


def capped_length(table, *, page: Any, per_page: Any) -> str:
    """Give `table` (paged by PageByIds) a count that stops past COUNT_CAP, or past the page asked for (`page`:
    the request's ?page=); returns what the list should say instead of the number when it stopped ("10,000+"),
    else ""."""
    queryset = getattr(table.data, "data", None)
    if not isinstance(queryset, QuerySet):
        return ""
    try:
        page, per_page = max(1, int(page or 1)), min(max(1, int(per_page)), MAX_PER_PAGE)
    except ValueError:
        page, per_page = 1, 25
    cap = max(COUNT_CAP, page * per_page)
    counted = queryset.order_by().values("pk")[: cap + 1].count()
    table.data._length = counted
    return f"{cap:,}+" if counted > cap else ""
