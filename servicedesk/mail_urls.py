"""The e-mail intake pages, under /mail/ (namespace "mail")."""

from django.urls import path

from servicedesk import mail_views as views

app_name = "mail"

urlpatterns = [
    path("inbound/", views.InboundListView.as_view(), name="inbound_list"),
    path("inbound/<int:pk>/", views.InboundDetailView.as_view(), name="inbound_detail"),
    path("inbound/<int:pk>/raw/", views.InboundRawView.as_view(), name="inbound_raw"),
    path("inbound/<int:pk>/accept/", views.InboundAcceptView.as_view(), name="inbound_accept"),
    path("inbound/<int:pk>/discard/", views.InboundDiscardView.as_view(), name="inbound_discard"),
    path("inbound/<int:pk>/retry/", views.InboundRetryView.as_view(), name="inbound_retry"),
    path("mailbox/", views.MailboxSettingsView.as_view(), name="mailbox"),
]
