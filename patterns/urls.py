from django.urls import path

from . import views

app_name = "patterns"
urlpatterns = [
    path("", views.index, name="index"),
    path("patterns/<slug:slug>/", views.detail, name="detail"),
    path("patterns/<slug:slug>/run/", views.run, name="run"),
]
