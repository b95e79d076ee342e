from django.urls import path

from servicedesk import views

urlpatterns = [
    path("", views.home, name="home"),
]
