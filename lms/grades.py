"""Assignment and Grade Services: each new score of a student on an assignment the LMS
linked goes to the link's line item, from the task worker, retried with backoff while the
platform is down. The gradebook shows each send (lms/templates/lms/_gradebook_sent.html)."""

from datetime import timedelta

from django.utils import timezone
from lti_tool.models import LtiUser
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.service_connector import ServiceConnector
from requests import RequestException

from classrooms.models import Submission

from .models import LmsLink, ScoreSend

SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MAX_ATTEMPTS = 8
FIRST_RETRY_SECONDS = 30  # then doubling: 30 s, 1 min, 2 min ... about an hour in all


def retry_delay(*, attempts: int) -> timedelta:
    return timedelta(seconds=FIRST_RETRY_SECONDS * 2 ** (attempts - 1))


def score_sends_create(*, submission: Submission) -> list[ScoreSend]:
    """A pending send per LMS link of the assignment that takes scores, for a student the
    LMS knows (a platform user of that link's registration)."""
    if submission.score is None or _graded_without_the_lab(submission):
        return []
    sends = []
    links = LmsLink.objects.filter(assignment=submission.assignment, can_publish_scores=True) \
        .exclude(lineitem_url="").select_related("resource_link__context__deployment")
    for link in links:
        registration = link.resource_link.context.deployment.registration_id
        lti_user = LtiUser.objects.filter(registration_id=registration,
                                          auth_user=submission.student).first()
        if lti_user is not None:
            sends.append(ScoreSend.objects.create(
                link=link, submission=submission, student=submission.student,
                lti_user=lti_user, score=submission.score))
    return sends


def _graded_without_the_lab(submission: Submission) -> bool:
    """A check that could not reach the lab cloud scores 0 without saying anything about
    the student's work: that 0 must not overwrite the LMS gradebook."""
    return any(r.get("id") == "lab" for r in submission.results)


def score_send_attempt(*, send: ScoreSend) -> ScoreSend:
    """Post the score; a newer score already sent supersedes this one."""
    newer = ScoreSend.objects.filter(link=send.link, student=send.student, status=ScoreSend.SENT,
                                     submission__at__gt=send.submission.at)
    if newer.exists():
        send.status = ScoreSend.SUPERSEDED
        send.save(update_fields=["status"])
        return send
    registration = send.link.resource_link.context.deployment.registration
    grade = (Grade().set_score_given(send.score).set_score_maximum(100)
             .set_activity_progress("Completed").set_grading_progress("FullyGraded")
             .set_user_id(send.lti_user.sub)
             .set_timestamp(send.submission.at.isoformat(timespec="milliseconds")))
    ags = AssignmentsGradesService(ServiceConnector(registration.to_registration()),
                                   {"scope": [SCORE_SCOPE], "lineitem": send.link.lineitem_url})
    send.attempts += 1
    try:
        ags.put_grade(grade)
    except (LtiException, LtiServiceException, RequestException, ValueError, KeyError) as e:
        send.error = _error_text(e)[:1000]
        if send.attempts >= MAX_ATTEMPTS:
            send.status, send.next_attempt_at = ScoreSend.FAILED, None
        else:
            send.status = ScoreSend.RETRYING
            send.next_attempt_at = timezone.now() + retry_delay(attempts=send.attempts)
    else:
        send.status, send.error = ScoreSend.SENT, ""
        send.sent_at, send.next_attempt_at = timezone.now(), None
    send.save()
    return send


def _error_text(error: Exception) -> str:
    if isinstance(error, LtiServiceException):
        return f"The LMS answered {error.response.status_code}: {error.response.text[:200]}"
    if isinstance(error, RequestException):
        return f"The LMS could not be reached: {type(error).__name__}"
    return str(error)


def score_sends_for(*, classroom) -> list[ScoreSend]:
    return list(ScoreSend.objects.filter(link__assignment__classroom=classroom)
                .select_related("student", "link__assignment")[:50])
