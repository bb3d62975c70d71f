from django.contrib import admin

from .models import LiveAnswer, LiveSession, Participant


@admin.register(LiveSession)
class LiveSessionAdmin(admin.ModelAdmin):
    list_display = ["title", "classroom", "pin", "phase", "index", "created_at", "ended_at"]
    list_filter = ["phase"]
    search_fields = ["title", "pin", "classroom__name"]
    raw_id_fields = ["classroom", "host", "assignment"]


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin):
    list_display = ["name", "session", "user", "joined_at"]
    raw_id_fields = ["session", "user"]


@admin.register(LiveAnswer)
class LiveAnswerAdmin(admin.ModelAdmin):
    list_display = ["participant", "session", "index", "correct", "points", "elapsed_ms"]
    raw_id_fields = ["session", "participant"]
