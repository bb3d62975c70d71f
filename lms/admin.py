from django.contrib import admin

from .models import LmsClass, LmsLink, ScoreSend


@admin.register(LmsClass)
class LmsClassAdmin(admin.ModelAdmin):
    list_display = ["context", "classroom", "roster_synced_at"]


@admin.register(LmsLink)
class LmsLinkAdmin(admin.ModelAdmin):
    list_display = ["resource_link", "assignment", "lineitem_url", "can_publish_scores"]


@admin.register(ScoreSend)
class ScoreSendAdmin(admin.ModelAdmin):
    list_display = ["student", "link", "score", "status", "attempts", "sent_at", "created_at"]
    list_filter = ["status"]
