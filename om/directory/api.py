"""The Directory Services Administration API."""

routes = []
