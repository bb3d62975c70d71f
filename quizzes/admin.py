from django.contrib import admin

from . import bank
from .models import Answer, ExamAttempt, Learner, Option, Question, ReviewCard


class ExamFilter(admin.SimpleListFilter):
    title = "exam"
    parameter_name = "exam"

    def lookups(self, request, model_admin):
        return [(e, e) for e in bank.EXAMS]

    def queryset(self, request, queryset):
        return queryset.tagged(field="exams", value=self.value()) if self.value() else queryset


class OptionInline(admin.TabularInline):
    model = Option
    extra = 0
    fields = ["position", "text", "correct", "why"]


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["bank_id", "domain", "type", "exams", "patterns", "difficulty", "source"]
    list_filter = ["domain", ExamFilter, "type", "difficulty"]
    search_fields = ["bank_id", "stem", "patterns", "services", "labs"]
    inlines = [OptionInline]


@admin.register(Learner)
class LearnerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "created_at"]


@admin.register(ExamAttempt)
class ExamAttemptAdmin(admin.ModelAdmin):
    list_display = ["__str__", "learner", "started_at", "submitted_at", "score"]
    list_filter = ["exam"]


@admin.register(Answer)
class AnswerAdmin(admin.ModelAdmin):
    list_display = ["answered_at", "learner", "question", "mode", "correct"]
    list_filter = ["mode", "correct"]


@admin.register(ReviewCard)
class ReviewCardAdmin(admin.ModelAdmin):
    list_display = ["learner", "question", "due", "reviewed_at"]
