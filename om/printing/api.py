"""The Print and Output Management API."""

routes = []
