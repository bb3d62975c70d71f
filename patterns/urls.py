from django.urls import path

from . import views

app_name = "patterns"
urlpatterns = [
    path("", views.index, name="index"),
]
