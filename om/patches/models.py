"""Patch Management (FITS OM)."""
