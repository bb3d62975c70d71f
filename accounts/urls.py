from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("signup/", views.sign_up, name="signup"),
    path("logout/", views.sign_out, name="logout"),
]
