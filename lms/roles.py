"""LTI context roles -> the lab's roles. Only context (membership) roles count: an
institution role says what someone is at the school, not in this course."""

from lti_tool.lti_core.utils import normalize_role

INSTRUCTOR, TA, STUDENT = "instructor", "ta", "student"
MEMBERSHIP = "http://purl.imsglobal.org/vocab/lis/v2/membership"


def lab_role(*, roles: list[str]) -> str | None:
    """The lab role for a launch's roles claim, or None when it names none the lab knows.
    A teaching assistant is sent as Instructor#TeachingAssistant (often with Instructor
    too), so that sub-role is looked at first."""
    full = {normalize_role(r) for r in roles or []}
    if f"{MEMBERSHIP}/Instructor#TeachingAssistant" in full:
        return TA
    if f"{MEMBERSHIP}#Instructor" in full or f"{MEMBERSHIP}#Administrator" in full:
        return INSTRUCTOR
    if f"{MEMBERSHIP}#Learner" in full:
        return STUDENT
    return None
