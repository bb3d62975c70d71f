from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from django import forms
from django.utils import timezone

from patterns.catalog import catalog
from quizzes.models import DOMAIN_CHOICES

from .fixit_catalog import fixit_choices
from .models import Assignment

BAD_CHECKS = "The checks are not a YAML list of checks: {error}"
FIXIT_ON_ANOTHER_PATTERN = "The fix-it {fixit!r} is on the pattern {its!r}, not {pattern!r}."


def checks_from_yaml(text: str) -> list[dict] | None:
    """Checks typed as YAML (a list, or checks.yaml's {checks: [...]}); None when empty."""
    text = text.strip()
    if not text:
        return None
    try:
        checks = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise forms.ValidationError(BAD_CHECKS.format(error=e)) from None
    if isinstance(checks, dict):
        checks = checks.get("checks")
    if not isinstance(checks, list) or not all(isinstance(c, dict) for c in checks):
        raise forms.ValidationError(BAD_CHECKS.format(error="not a list of mappings"))
    return checks


class ChecksForm(forms.Form):
    checks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 12}),
                             label="Checks (YAML; empty: the scenarios only)")

    def clean_checks(self):
        return checks_from_yaml(self.cleaned_data["checks"]) or []

    @classmethod
    def for_assignment(cls, assignment) -> "ChecksForm":
        text = yaml.safe_dump(assignment.checks, sort_keys=False) if assignment.checks else ""
        return cls(initial={"checks": text})


class ClassForm(forms.Form):
    name = forms.CharField(max_length=200)


class JoinForm(forms.Form):
    code = forms.CharField(max_length=20, label="Join code")


class RosterForm(forms.Form):
    csv_file = forms.FileField(label="Roster CSV (username,email,name)")

    def clean_csv_file(self):
        try:
            return self.cleaned_data["csv_file"].read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError("The roster is not UTF-8 text.") from None


class UsernameForm(forms.Form):
    username = forms.CharField(max_length=150)


class LocalDateTimeField(forms.DateTimeField):
    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})


class ZonedForm(forms.Form):
    """Dates typed in the browser's time zone (`tz`, set by classrooms/local-time.js)."""

    tz = forms.CharField(required=False, widget=forms.HiddenInput(attrs={"class": "tz"}))

    def zoned(self, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        try:
            zone = ZoneInfo(self.data.get("tz") or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        naive = timezone.make_naive(value, timezone.get_current_timezone()) \
            if timezone.is_aware(value) else value
        return naive.replace(tzinfo=zone)


class AssignmentForm(ZonedForm):
    title = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=Assignment._meta.get_field("kind").choices)
    pattern = forms.ChoiceField(required=False, choices=[])
    # A select of every pattern's fix-its as "<pattern>/<fix-it>" (it sets the pattern too);
    # a bare fix-it slug goes with the pattern chosen. Checked against the pattern's fix-its
    # on creation (fixit_catalog.fixit_errors), which names an unknown one.
    fixit = forms.CharField(required=False, label="Fix-it (a fix-it lab)",
                            widget=forms.Select(choices=[]),
                            help_text="its pattern is the assignment's; students fix it on "
                                      "its page and hand in here")
    scenarios = forms.CharField(required=False, help_text="scenario slugs, comma-separated; "
                                "empty: the pattern's default scenario")
    checks = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}),
                             help_text="YAML list of checks; empty: the pattern's default checks")
    question_ids = forms.CharField(required=False, help_text="question ids, comma-separated")
    class_questions = forms.ChoiceField(required=False, choices=[],
                                        label="and/or from this class's own questions")
    question_pattern = forms.CharField(required=False, label="or all questions on pattern")
    question_service = forms.CharField(required=False, label="and/or on service",
                                       help_text="a service tag, e.g. sqs or dynamodb")
    question_domain = forms.ChoiceField(required=False, label="and/or in exam domain",
                                        choices=[("", "—")] + DOMAIN_CHOICES)
    mock_exam = forms.BooleanField(required=False, label="or a mock exam (65 questions by "
                                   "the SAA-C03 domain weights, untimed)")
    attempts_allowed = forms.IntegerField(min_value=1, max_value=20, initial=1)
    show_answers = forms.ChoiceField(choices=Assignment._meta.get_field("show_answers").choices)
    opens_at = LocalDateTimeField(required=False, label="Opens")
    due_at = LocalDateTimeField(required=False, label="Due")
    late_policy = forms.ChoiceField(choices=Assignment._meta.get_field("late_policy").choices)
    late_penalty_percent = forms.IntegerField(min_value=0, max_value=100, initial=0)

    def __init__(self, *args, classroom=None, **kwargs):
        from .question_bank import class_question_categories
        from .quiz import ALL_CLASS_QUESTIONS

        super().__init__(*args, **kwargs)
        self.classroom = classroom
        self.fields["pattern"].choices = [("", "—")] + [(p.slug, p.title)
                                                        for p in catalog().values()]
        categories = class_question_categories(classroom=classroom) if classroom else []
        choices = [("", "—")]
        if categories:
            total = sum(n for _, n in categories)
            choices.append((ALL_CLASS_QUESTIONS, f"All {total} of the class's questions"))
            choices += [(f"category:{c}", f"Category {c or '(none)'} ({n})")
                        for c, n in categories]
        self.fields["class_questions"].choices = choices
        self.fields["fixit"].widget.choices = [("", "—"), *fixit_choices()]

    def clean_checks(self):
        return checks_from_yaml(self.cleaned_data["checks"])

    def clean(self):
        data = super().clean()
        fixit = (data.get("fixit") or "").strip()
        if data.get("kind") == Assignment.FIX and "/" in fixit:
            its, data["fixit"] = fixit.split("/", 1)
            if data.get("pattern") and data["pattern"] != its:
                self.add_error("fixit", FIXIT_ON_ANOTHER_PATTERN.format(
                    fixit=data["fixit"], its=its, pattern=data["pattern"]))
            data["pattern"] = its
        return data

    def assignment_fields(self) -> dict:
        from .quiz import quiz_question_ids

        data = self.cleaned_data
        ids = [i.strip() for i in data["question_ids"].split(",") if i.strip()]
        scenarios = [s.strip() for s in data["scenarios"].split(",") if s.strip()]
        return {
            "title": data["title"], "kind": data["kind"], "pattern": data["pattern"],
            "fixit": data["fixit"].strip(),
            "scenarios": scenarios or None, "checks": data["checks"],
            "question_ids": (quiz_question_ids(ids=ids, pattern=data["question_pattern"],
                                               domain=data["question_domain"],
                                               mock_exam=data["mock_exam"],
                                               classroom=self.classroom,
                                               class_pick=data["class_questions"],
                                               service=data["question_service"].strip())
                             if data["kind"] == Assignment.QUIZ else []),
            "attempts_allowed": data["attempts_allowed"], "show_answers": data["show_answers"],
            "opens_at": self.zoned(data["opens_at"]), "due_at": self.zoned(data["due_at"]),
            "late_policy": data["late_policy"],
            "late_penalty_percent": data["late_penalty_percent"],
        }


class ExtensionForm(ZonedForm):
    username = forms.CharField(max_length=150)
    due_at = LocalDateTimeField(label="New due date")


class QuestionFileForm(forms.Form):
    question_file = forms.FileField(label="Questions (GIFT .gift/.txt or Moodle XML .xml)")
