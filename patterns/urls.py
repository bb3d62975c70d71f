from django.urls import path

from . import reference_views, views, widget_views

app_name = "patterns"
urlpatterns = [
    path("", views.index, name="index"),
    # Before the detail route, which would take these names for pattern slugs.
    path("patterns/glossary/", reference_views.glossary, name="glossary"),
    path("patterns/compare/", reference_views.compare, name="compare"),
    path("patterns/security/", reference_views.security, name="security"),
    path("patterns/<slug:slug>/", views.detail, name="detail"),
    path("patterns/<slug:slug>/run/", views.run, name="run"),
    path("patterns/<slug:slug>/download/", views.download, name="download"),
    path("patterns/<slug:slug>/own-tools/", views.own_tools, name="own_tools"),
    path("patterns/<slug:slug>/widget/", widget_views.endpoint, name="widget"),
]
