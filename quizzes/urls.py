from django.urls import path

from . import views

app_name = "quizzes"
urlpatterns = [
    path("", views.index, name="index"),
    path("practice/", views.practice, name="practice"),
    path("practice/q/<slug:bank_id>/", views.practice_question, name="practice_question"),
    path("practice/q/<slug:bank_id>/answer/", views.practice_answer, name="practice_answer"),
    path("practice/answers/<int:pk>/", views.practice_answered, name="practice_answered"),
    path("review/", views.review, name="review"),
    path("exam/start/", views.exam_start, name="exam_start"),
    path("exam/<int:pk>/<int:position>/", views.exam_item, name="exam_item"),
    path("exam/<int:pk>/<int:position>/save/", views.exam_save, name="exam_save"),
    path("exam/<int:pk>/timer/", views.exam_timer, name="exam_timer"),
    path("exam/<int:pk>/result/", views.exam_result, name="exam_result"),
    path("progress/", views.progress, name="progress"),
    path("progress/results.csv", views.results_csv, name="results_csv"),
]
