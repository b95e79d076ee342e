"""Print and Output Management pages (om/printing/views.py)."""

from django.urls import path

from om.printing import views

app_name = "printing"

urlpatterns = [
    path("", views.PrinterListView.as_view(), name="printer_list"),
    path("printers/<int:pk>/", views.PrinterDetailView.as_view(), name="printer_detail"),
    path("printers/<int:pk>/edit/", views.PrinterEditView.as_view(), name="printer_edit"),
    path("printers/<int:pk>/read/", views.PrinterReadView.as_view(), name="printer_read"),
    path("supplies/<int:pk>/cartridge/", views.SupplyCartridgeView.as_view(), name="supply_cartridge"),
    path("queues/", views.QueueListView.as_view(), name="queue_list"),
    path("queues/<int:pk>/", views.QueueEditView.as_view(), name="queue_edit"),
    path("consumables/", views.CartridgeListView.as_view(), name="cartridge_list"),
    path("consumables/<int:pk>/", views.CartridgeDetailView.as_view(), name="cartridge_detail"),
    path("consumables/reorder/", views.ReorderView.as_view(), name="reorder"),
    path("usage/", views.UsageView.as_view(), name="usage"),
    path("usage/export.csv", views.UsageExportView.as_view(), name="usage_export"),
    path("policy/", views.PolicyView.as_view(), name="policy"),
]
