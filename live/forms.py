from django import forms

from quizzes.models import DOMAIN_CHOICES

from .models import PIN_LENGTH


class StartForm(forms.Form):
    """Questions by id (one per line or comma-separated), else by pattern and/or domain."""
    title = forms.CharField(max_length=200, required=False)
    ids = forms.CharField(label="Question ids", required=False, widget=forms.Textarea(
        attrs={"rows": 4}), help_text="One per line or separated by commas, in order.")
    pattern = forms.SlugField(label="Or questions on the pattern", required=False)
    domain = forms.ChoiceField(label="and/or in the domain", required=False,
                               choices=[("", "any")] + DOMAIN_CHOICES)
    limit = forms.IntegerField(label="At most", min_value=1, max_value=50, initial=10)
    class_questions = forms.BooleanField(label="And all of the class's own questions",
                                         required=False)

    def clean(self):
        data = super().clean()
        data["id_list"] = [i for i in data.get("ids", "").replace(",", " ").split() if i]
        if not (data["id_list"] or data.get("pattern") or data.get("domain")
                or data.get("class_questions")):
            raise forms.ValidationError("Give question ids, or a pattern or a domain.")
        return data


class JoinForm(forms.Form):
    pin = forms.CharField(label="PIN", max_length=PIN_LENGTH + 4, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "off"}))
    name = forms.CharField(label="Display name", max_length=30, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "nickname"}))


class PaceForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ("show", "close", "reveal", "end")])
    index = forms.IntegerField()
    countdown = forms.IntegerField(required=False, min_value=5, max_value=300)
