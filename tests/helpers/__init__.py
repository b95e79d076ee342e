"""Helpers shared by the guard-rail tests (isolation, architecture, query counts)."""
