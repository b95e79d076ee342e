"""Print and Output Management pages (om/printing/views.py)."""

app_name = "printing"

urlpatterns = []
