"""What ties the LMS to the lab: a course (LTI context) to a class, a placed link (LTI
resource link) to an assignment and its gradebook column (line item), and each score sent.

Registrations, deployments, platform users (issuer + subject -> auth user) and contexts are
django-lti's (lti_tool); the OIDC state and nonces live in LaunchValue so that any server
process can finish a launch another one started.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from classrooms.models import Assignment, Classroom, Submission


class LmsClass(models.Model):
    context = models.OneToOneField("lti_tool.LtiContext", on_delete=models.CASCADE,
                                   related_name="lms_class")
    classroom = models.OneToOneField(Classroom, on_delete=models.CASCADE,
                                     related_name="lms_class")
    roster_synced_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.context} -> {self.classroom}"


class LmsLink(models.Model):
    """A link the LMS placed (by deep linking) to an assignment; scores go to its line item."""
    resource_link = models.OneToOneField("lti_tool.LtiResourceLink", on_delete=models.CASCADE,
                                         related_name="lms_link")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="lms_links")
    lineitem_url = models.URLField(blank=True, max_length=500)
    can_publish_scores = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.resource_link} -> {self.assignment}"


class ScoreSend(models.Model):
    PENDING, SENT, RETRYING, FAILED, SUPERSEDED = (
        "pending", "sent", "retrying", "failed", "superseded")
    link = models.ForeignKey(LmsLink, on_delete=models.CASCADE, related_name="sends")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    lti_user = models.ForeignKey("lti_tool.LtiUser", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField()
    status = models.CharField(max_length=10, default=PENDING, choices=[
        (PENDING, "Pending"), (SENT, "Sent"), (RETRYING, "Retrying"), (FAILED, "Failed"),
        (SUPERSEDED, "Superseded by a newer score")])
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.student}: {self.score} -> {self.link} ({self.status})"


class LaunchValue(models.Model):
    """pylti1p3's launch data store (OIDC state, nonces, validated launches), in the
    database; a nonce row is deleted when its launch is accepted, so a replay is refused."""
    key = models.CharField(max_length=255, primary_key=True)
    value = models.JSONField(null=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.key
