from django.contrib import admin

from .models import Assignment, Classroom, Extension, Membership, RosterEntry, Submission, ViewLog


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0


@admin.register(Classroom)
class ClassroomAdmin(admin.ModelAdmin):
    list_display = ["name", "instructor", "join_code", "joining_open", "created_at"]
    inlines = [MembershipInline]


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ["title", "classroom", "kind", "pattern", "opens_at", "due_at"]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ["assignment", "student", "status", "score", "late", "at"]
    list_filter = ["status", "late"]


admin.site.register([Extension, RosterEntry, ViewLog])
