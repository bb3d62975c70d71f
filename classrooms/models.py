"""Classes, their members and assignments, and what students hand in.

A class belongs to one instructor (a user in the `instructors` group); teaching assistants
are members with the TA role. Lab checks are stored on the assignment (copied from the
pattern's checks.yaml when it is made), so an instructor's change is what a re-grade uses.
A fix-it lab (kind FIX) names one of its pattern's fix-its (patterns/fixits.py): its checks
are the fix-it's own, run against what the student deployed from the fix-it page.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

# Read aloud without doubt: no 0/O, 1/l/I.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 6


class Classroom(models.Model):
    name = models.CharField(max_length=200)
    instructor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="classrooms_taught")
    join_code = models.CharField(max_length=JOIN_CODE_LENGTH, unique=True)
    joining_open = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    STUDENT, TA = "student", "ta"
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="class_memberships")
    role = models.CharField(max_length=10, choices=[(STUDENT, "Student"), (TA, "TA")],
                            default=STUDENT)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "user"],
                                               name="one_membership_per_class")]
        ordering = ["user__username"]

    def __str__(self) -> str:
        return f"{self.user} in {self.classroom} ({self.role})"


class RosterEntry(models.Model):
    """A student the instructor invited (CSV import); `user` is set once they have joined."""
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="roster")
    username = models.CharField(max_length=150)
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["classroom", "username"],
                                               name="one_roster_entry_per_username")]
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username


class Assignment(models.Model):
    LAB, QUIZ, FIX = "lab", "quiz", "fix"
    REFUSE, PENALTY = "refuse", "penalty"
    AT_ONCE, AFTER_DUE = "at_once", "after_due"
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=4, default=LAB,
                            choices=[(LAB, "Lab"), (QUIZ, "Quiz"), (FIX, "Fix-it lab")])
    pattern = models.SlugField(blank=True)
    fixit = models.SlugField(blank=True)  # FIX: the fix-it's slug in the pattern's fixits.yaml
    scenarios = models.JSONField(default=list, blank=True)  # scenario slugs that must pass
    checks = models.JSONField(default=list, blank=True)  # check documents (checks.yaml form)
    question_ids = models.JSONField(default=list, blank=True)  # quizzes.Question.bank_id
    attempts_allowed = models.PositiveSmallIntegerField(default=1)
    show_answers = models.CharField(max_length=9, default=AT_ONCE,
                                    choices=[(AT_ONCE, "At once"),
                                             (AFTER_DUE, "After the due date")])
    opens_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(null=True, blank=True)
    late_policy = models.CharField(max_length=7, default=REFUSE,
                                   choices=[(REFUSE, "Refuse late work"),
                                            (PENALTY, "Accept with a penalty")])
    late_penalty_percent = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opens_at", "pk"]

    def __str__(self) -> str:
        return self.title


class Extension(models.Model):
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="extensions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    due_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "student"],
                                               name="one_extension_per_student")]

    def __str__(self) -> str:
        return f"{self.student} until {self.due_at:%Y-%m-%d %H:%M}"


class Submission(models.Model):
    RUNNING, PASSED, FAILED = "running", "passed", "failed"
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="submissions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="class_submissions")
    status = models.CharField(max_length=7, default=RUNNING,
                              choices=[(RUNNING, "Running"), (PASSED, "Passed"),
                                       (FAILED, "Failed")])
    score = models.FloatField(null=True)  # 0-100 after any late penalty
    results = models.JSONField(default=list)  # per task: id, title, passed, message, hint...
    trace = models.JSONField(default=list)  # the runs' trace JSON it was graded on
    answers = models.JSONField(default=dict, blank=True)  # quiz: bank_id -> chosen letters
    files = models.JSONField(default=dict, blank=True)  # fix-it: path -> the text graded
    notices = models.JSONField(default=list, blank=True)  # fix-it: what the teacher should know
    late = models.BooleanField(default=False)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["assignment", "student", "-at"])]

    def __str__(self) -> str:
        return f"{self.student}: {self.assignment} ({self.status}, {self.score})"


class ViewLog(models.Model):
    """Who looked at (or reset) whose work, shown to the student."""
    VIEWED, RESET = "viewed", "reset"
    viewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                               related_name="+")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="work_views")
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, null=True)
    action = models.CharField(max_length=6, default=VIEWED,
                              choices=[(VIEWED, "viewed your work"),
                                       (RESET, "reset your sandbox")])
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.viewer} {self.action} {self.student}'s work"


class Regrade(models.Model):
    """A re-grade of everyone's latest work, queued by a teacher and run by the task worker;
    the dashboard shows it queued, running, then done (or failed)."""
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE,
                                   related_name="regrades")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                     on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=7, default=QUEUED,
                             choices=[(QUEUED, "queued"), (RUNNING, "running"),
                                      (DONE, "done"), (FAILED, "failed")])
    queued_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    regraded = models.PositiveIntegerField(default=0)  # students re-graded
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]

    def __str__(self) -> str:
        return f"re-grade of {self.assignment} ({self.state})"


class AssignmentVisit(models.Model):
    """When a student last opened an assignment's page (the dashboard's "last active")."""
    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="visits")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assignment", "student"],
                                               name="one_visit_row_per_student")]

    def __str__(self) -> str:
        return f"{self.student} opened {self.assignment} at {self.at:%Y-%m-%d %H:%M}"
