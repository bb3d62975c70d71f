from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from .learners import learner_merge


@receiver(user_logged_in, dispatch_uid="quizzes.learner_merge")
def keep_anonymous_progress(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        learner_merge(session=request.session, user=user)
