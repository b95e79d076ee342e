"""Security Administration (FITS OM)."""
