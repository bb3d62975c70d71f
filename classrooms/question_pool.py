"""Which questions a class's quizzes may ask. Its own module (models only), so assignments,
quizzes and the live quiz can all ask without an import cycle."""

from django.db.models import Q, QuerySet

from quizzes.models import Question


def questions_usable(*, classroom_id: int) -> QuerySet[Question]:
    """What a quiz of this class may ask: the public bank and the class's own questions."""
    return Question.everything.filter(Q(classroom__isnull=True) | Q(classroom_id=classroom_id))
