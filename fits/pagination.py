"""The API's pages: `?limit=` and `?offset=`, 50 records unless asked, at most 1,000."""

from rest_framework.pagination import LimitOffsetPagination


class Pagination(LimitOffsetPagination):
    """An offset past any table is an empty page, not a database error (SQLite's integers stop at 2**63)."""

    max_limit = 1000

    def get_offset(self, request) -> int:
        return min(super().get_offset(request), 2**62)
