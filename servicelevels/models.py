"""Service Level Management (FITS): define, agree and document the required service levels with users."""
