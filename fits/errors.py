"""How a request that ran out of time answers: 503 "took too long", on pages and in the API alike.

Web processes run with PostgreSQL's statement timeout (DATABASE_STATEMENT_TIMEOUT in fits/settings.py). A
cancelled statement surfaces as Django's OperationalError caused by psycopg's QueryCanceled: pages answer
through QueryTimeoutMiddleware (fits/middleware.py), the API through ExceptionHandler below, which
drf-standardized-errors uses for every API error.
"""

from __future__ import annotations

from django.db import OperationalError
from drf_standardized_errors.handler import ExceptionHandler as StandardExceptionHandler
from rest_framework import exceptions

QUERY_TIMEOUT_MESSAGE = (
    "This took too long, so it was stopped: nothing was changed. Narrow the filters or the search and try "
    "again; if it keeps happening, tell your service desk what you were looking for."
)


def is_query_timeout(exception: BaseException) -> bool:
    try:
        from psycopg.errors import QueryCanceled
    except ImportError:  # SQLite-only installs have no statement timeout
        return False
    return isinstance(exception, OperationalError) and isinstance(exception.__cause__, QueryCanceled)


class QueryTimeout(exceptions.APIException):
    status_code = 503
    default_code = "query_timeout"
    default_detail = QUERY_TIMEOUT_MESSAGE


class ExceptionHandler(StandardExceptionHandler):
    def convert_known_exceptions(self, exc: Exception) -> Exception:
        if is_query_timeout(exc):
            return QueryTimeout()
        return super().convert_known_exceptions(exc)
