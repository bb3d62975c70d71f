from django.urls import path
from lti_tool.views import jwks

from . import views

app_name = "lms"
urlpatterns = [
    path("login/", views.login_init, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks.json", jwks, name="jwks"),
    path("deep-link/", views.deep_link, name="deep_link"),
    path("classes/<int:classroom_id>/roster/", views.roster, name="roster"),
]
