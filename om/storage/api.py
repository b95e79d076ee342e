"""The Storage Management API."""

routes = []
