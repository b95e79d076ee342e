"""The OpenAPI schema at /api/schema/, generated once per process.

Generating it walks every viewset and serializer: seconds of CPU on a small server. It is the same for every
caller (SERVE_PUBLIC) and changes only with the code, so each process keeps the first one it builds (per API
version and language), and a burst of schema requests costs nothing.
"""

from __future__ import annotations

from typing import Any

from django.utils import translation
from drf_spectacular.views import SpectacularAPIView
from rest_framework.response import Response

_schemas: dict[tuple[Any, ...], dict[str, Any]] = {}


class SchemaView(SpectacularAPIView):
    def _get_schema_response(self, request) -> Response:
        version = self.api_version or request.version or self._get_version_parameter(request)
        key = (version, translation.get_language(), self.serve_public)
        if key not in _schemas:
            generator = self.generator_class(urlconf=self.urlconf, api_version=version, patterns=self.patterns)
            _schemas[key] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=_schemas[key],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, version)}"'},
        )
