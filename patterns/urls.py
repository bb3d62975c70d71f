from django.urls import path

from . import (
    experiment_views,
    fixit_views,
    history_views,
    reference_views,
    sandbox_views,
    views,
    widget_views,
)

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
    path("patterns/<slug:slug>/runs/", history_views.history, name="history"),
    path("patterns/<slug:slug>/runs/<int:pk>/", history_views.run_detail, name="run_detail"),
    path("patterns/<slug:slug>/runs/<int:pk>/cost/", history_views.run_cost_projection,
         name="run_cost"),
    path("patterns/<slug:slug>/sandbox/", sandbox_views.sandbox, name="sandbox"),
    path("patterns/<slug:slug>/sandbox/events/", sandbox_views.sandbox_events,
         name="sandbox_events"),
    path("patterns/<slug:slug>/sandbox/object/", sandbox_views.sandbox_object,
         name="sandbox_object"),
    path("patterns/<slug:slug>/sandbox/reset/", sandbox_views.sandbox_reset,
         name="sandbox_reset"),
    path("patterns/<slug:slug>/sandbox/invoke/", sandbox_views.sandbox_invoke,
         name="sandbox_invoke"),
    path("patterns/<slug:slug>/experiments/<slug:experiment>/predict/",
         experiment_views.predict, name="experiment_predict"),
    path("patterns/<slug:slug>/experiments/<slug:experiment>/run/", experiment_views.run,
         name="experiment_run"),
    path("patterns/<slug:slug>/fix/<slug:fixit>/", fixit_views.page, name="fixit"),
    path("patterns/<slug:slug>/fix/<slug:fixit>/try/", fixit_views.try_fix, name="fixit_try"),
    path("patterns/<slug:slug>/fix/<slug:fixit>/reset/", fixit_views.reset, name="fixit_reset"),
    path("patterns/<slug:slug>/fix/<slug:fixit>/solution/", fixit_views.solution,
         name="fixit_solution"),
]
