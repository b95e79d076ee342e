from django.urls import path

from cmdb import data_views, views

app_name = "cmdb"

urlpatterns = [
    path("", views.ConfigurationItemListView.as_view(), name="ci_list"),
    path("new/", views.ConfigurationItemCreateView.as_view(), name="ci_create"),
    path("locations/", views.LocationListView.as_view(), name="location_list"),
    path("locations/new/", views.LocationCreateView.as_view(), name="location_create"),
    path("software/", views.SoftwareListView.as_view(), name="software_list"),
    path("licences/", views.LicenceListView.as_view(), name="licence_list"),
    path("licences/<int:pk>/", views.LicenceDetailView.as_view(), name="licence_detail"),
    path("ports/<int:pk>/", views.PortDetailView.as_view(), name="port_detail"),
    path("cables/<int:pk>/remove/", views.CableRemoveView.as_view(), name="cable_remove"),
    path("relationships/<int:pk>/remove/", views.RelationshipRemoveView.as_view(), name="relationship_remove"),
    *data_views.urlpatterns,
    path("<int:pk>/", views.ConfigurationItemDetailView.as_view(), name="ci_detail"),
    path("<int:pk>/edit/", views.ConfigurationItemUpdateView.as_view(), name="ci_edit"),
    path("<int:pk>/ports/new/", views.PortCreateView.as_view(), name="port_create"),
    path("<int:pk>/cables/new/", views.CableCreateView.as_view(), name="cable_create"),
    path("<int:pk>/relationships/new/", views.RelationshipCreateView.as_view(), name="relationship_create"),
    path("<int:pk>/<slug:action>/", views.ConfigurationItemTransitionView.as_view(), name="ci_transition"),
]
