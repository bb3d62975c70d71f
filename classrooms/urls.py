from django.urls import path

from . import bank_views, staff_views, views

app_name = "classrooms"
A = "<int:classroom_id>/a/<int:assignment_id>/"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("join/", views.join, name="join"),
    path("join/<str:code>/", views.join, name="join_link"),
    path("<int:classroom_id>/", views.detail, name="detail"),
    path("<int:classroom_id>/settings/", staff_views.settings_update, name="settings"),
    path("<int:classroom_id>/roster/", staff_views.roster, name="roster"),
    path("<int:classroom_id>/tas/", staff_views.ta_add, name="ta_add"),
    path("<int:classroom_id>/members/<int:user_id>/remove/", staff_views.member_remove,
         name="member_remove"),
    path("<int:classroom_id>/assignments/new/", staff_views.assignment_new,
         name="assignment_new"),
    path("<int:classroom_id>/gradebook/", staff_views.gradebook_page, name="gradebook"),
    path("<int:classroom_id>/gradebook.csv", staff_views.gradebook_download,
         name="gradebook_csv"),
    path("<int:classroom_id>/questions/", bank_views.bank, name="bank"),
    path("<int:classroom_id>/questions/import/", bank_views.bank_import, name="bank_import"),
    path("<int:classroom_id>/questions/<int:question_id>/delete/", bank_views.bank_delete,
         name="bank_delete"),
    path("<int:classroom_id>/questions/export.<str:fmt>", bank_views.bank_export,
         name="bank_export"),
    path(A, views.assignment, name="assignment"),
    path(A + "check/", views.check, name="check"),
    path(A + "answer/", views.answer, name="answer"),
    path(A + "dashboard/", staff_views.dashboard, name="dashboard"),
    path(A + "regrade/", staff_views.regrade, name="regrade"),
    path(A + "checks/", staff_views.checks_update, name="checks"),
    path(A + "extension/", staff_views.extension, name="extension"),
    path(A + "students/<int:user_id>/", staff_views.work, name="work"),
    path(A + "students/<int:user_id>/reset/", staff_views.reset, name="reset"),
]
