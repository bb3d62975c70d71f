from django.urls import path

from . import views

app_name = "live"
urlpatterns = [
    path("", views.join, name="join"),
    path("join/<str:pin>/", views.join, name="join_pin"),
    path("class/<int:classroom_id>/new/", views.start, name="start"),
    path("<int:session_id>/host/", views.host, name="host"),
    path("<int:session_id>/pace/", views.pace, name="pace"),
    path("<int:session_id>/play/", views.play, name="play"),
    path("<int:session_id>/answer/", views.answer, name="answer"),
    path("<int:session_id>/events/", views.events, name="events"),
]
