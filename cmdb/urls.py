from django.urls import path

from cmdb import data_views

app_name = "cmdb"

urlpatterns = [
    *data_views.urlpatterns,
]
