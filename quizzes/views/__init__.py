from .exam import exam_item, exam_result, exam_save, exam_start, exam_timer
from .overview import index, progress, results_csv
from .practice import practice, practice_answer, practice_answered, practice_question, review

__all__ = [
    "exam_item", "exam_result", "exam_save", "exam_start", "exam_timer", "index", "practice",
    "practice_answer", "practice_answered", "practice_question", "progress", "results_csv",
    "review",
]
