"""Signals other apps listen to (lms/ sends each new score to the LMS gradebook)."""

from django.dispatch import Signal

# Sent with `submission=` when a student's assignment score is saved: a check run, a quiz
# submitted, a re-grade.
score_changed = Signal()
