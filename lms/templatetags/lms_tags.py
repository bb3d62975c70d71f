from django import template

from ..grades import score_sends_for
from ..models import LmsClass

register = template.Library()


@register.inclusion_tag("lms/_gradebook_lms.html", takes_context=True)
def lms_gradebook(context, classroom):
    """The class's LMS link, roster sync (its instructor only) and the scores sent."""
    lms_class = LmsClass.objects.filter(classroom=classroom).select_related("context").first()
    user = context["request"].user
    return {"classroom": classroom, "lms_class": lms_class, "request": context["request"],
            "csrf_token": context.get("csrf_token"), "messages": context.get("messages"),
            "can_sync": lms_class is not None and classroom.instructor_id == user.pk,
            "sends": score_sends_for(classroom=classroom) if lms_class else []}
