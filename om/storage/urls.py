"""Storage Management pages (om/storage/views.py)."""

app_name = "storage"

urlpatterns = []
