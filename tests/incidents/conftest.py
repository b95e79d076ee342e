"""Fixtures of the incidents tests: rooms and devices, and attachments kept in a temporary MEDIA_ROOT
(tests/incidents/portal_world.py)."""

from tests.incidents.portal_world import media, rooms  # noqa: F401
