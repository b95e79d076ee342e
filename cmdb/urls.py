from django.urls import path

from cmdb import data_views, views

app_name = "cmdb"

urlpatterns = [
    path("", views.ConfigurationItemListView.as_view(), name="ci_list"),
    path("new/", views.ConfigurationItemCreateView.as_view(), name="ci_create"),
    path("locations/", views.LocationListView.as_view(), name="location_list"),
    path("locations/new/", views.LocationCreateView.as_view(), name="location_create"),
    path("software/", views.SoftwareListView.as_view(), name="software_list"),
    path("software/new/", views.SoftwareCreateView.as_view(), name="software_create"),
    path("installations/<int:pk>/remove/", views.InstallationRemoveView.as_view(), name="installation_remove"),
    path("licences/", views.LicenceListView.as_view(), name="licence_list"),
    path("licences/new/", views.LicenceCreateView.as_view(), name="licence_create"),
    path("licences/<int:pk>/", views.LicenceDetailView.as_view(), name="licence_detail"),
    path("licences/<int:pk>/edit/", views.LicenceUpdateView.as_view(), name="licence_edit"),
    path("licences/<int:pk>/seats/new/", views.LicenceSeatAssignView.as_view(), name="licence_seat_assign"),
    path("seats/<int:pk>/release/", views.SeatReleaseView.as_view(), name="seat_release"),
    path("ports/<int:pk>/", views.PortDetailView.as_view(), name="port_detail"),
    path("ports/<int:pk>/edit/", views.PortUpdateView.as_view(), name="port_edit"),
    path("ports/<int:pk>/remove/", views.PortRemoveView.as_view(), name="port_remove"),
    path("cables/<int:pk>/remove/", views.CableRemoveView.as_view(), name="cable_remove"),
    path("relationships/<int:pk>/remove/", views.RelationshipRemoveView.as_view(), name="relationship_remove"),
    *data_views.urlpatterns,
    path("<int:pk>/", views.ConfigurationItemDetailView.as_view(), name="ci_detail"),
    path("<int:pk>/edit/", views.ConfigurationItemUpdateView.as_view(), name="ci_edit"),
    path("<int:pk>/ports/new/", views.PortCreateView.as_view(), name="port_create"),
    path("<int:pk>/cables/new/", views.CableCreateView.as_view(), name="cable_create"),
    path("<int:pk>/software/new/", views.SoftwareInstallView.as_view(), name="software_install"),
    path("<int:pk>/relationships/new/", views.RelationshipCreateView.as_view(), name="relationship_create"),
    path("<int:pk>/<slug:action>/", views.ConfigurationItemTransitionView.as_view(), name="ci_transition"),
]
