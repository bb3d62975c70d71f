from django.urls import path

from . import views

app_name = "sandboxes"
urlpatterns = [
    path("rebuild/", views.rebuild_status, name="rebuild_status"),
]
