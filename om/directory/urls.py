"""Directory Services Administration pages (om/directory/views.py)."""

app_name = "directory"

urlpatterns = []
