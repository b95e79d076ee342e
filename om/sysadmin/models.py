"""Systems Administration (FITS OM)."""
