from django import forms

METHODS = [(m, m) for m in ("GET", "POST", "PUT", "PATCH", "DELETE")]
PATH_MUST_START_WITH_SLASH = "The path starts with / (for example /orders)."


class RequestForm(forms.Form):
    """A request of the learner's own to the pattern's API."""

    method = forms.ChoiceField(choices=METHODS)
    path = forms.CharField(max_length=500)
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}),
                           max_length=100_000)

    def clean_path(self):
        path = self.cleaned_data["path"].strip()
        if not path.startswith("/"):
            raise forms.ValidationError(PATH_MUST_START_WITH_SLASH)
        return path


# What a learner skips to on a page with schedules: past the next run of an hourly, a nightly
# and a weekly job. (The CLI's `lab clock --advance` takes any duration.)
ADVANCES = [("15m", "15 minutes"), ("1h", "1 hour"), ("24h", "1 day"), ("7d", "7 days")]


class ClockForm(forms.Form):
    """Fast-forward the learner's sandbox clock, so the schedules that fall due fire."""

    advance = forms.ChoiceField(choices=ADVANCES, initial="24h")
