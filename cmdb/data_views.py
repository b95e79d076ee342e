"""Pages that move CMDB data in and out: CSV/XLSX import with a preview, streaming export, the CMDB audit."""

urlpatterns: list = []
