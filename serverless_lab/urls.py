from django.contrib import admin
from django.urls import include, path

# A database outage met outside a view still answers 503 with a retry hint (hosting/).
handler500 = "hosting.views.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("sandboxes/", include("sandboxes.urls")),
    path("quizzes/", include("quizzes.urls")),
    path("classes/", include("classrooms.urls")),
    path("live/", include("live.urls")),
    path("lti/", include("lms.urls")),
    path("", include("patterns.urls")),
]
