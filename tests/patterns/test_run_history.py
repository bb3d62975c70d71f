"""Run history: the learner's last 20 runs per pattern, each reopened with its trace, timeline
and cost; another learner's run is a 404; the cost projection's number field refuses nonsense."""

import pytest
from django.urls import reverse

from patterns.lab import learner_for_user
from patterns.models import RUNS_KEPT_PER_PATTERN, RunRecord, run_record_save

pytestmark = pytest.mark.django_db
FN = "rest-api-CreateOrderFunction-ABC123XYZ"


def _document(scenario="create-then-get", ok=True):
    return {"pattern": "rest-api", "scenario": scenario, "ok": ok, "duration_ms": 80.0,
            "steps": [{"name": "create", "request": {"method": "POST", "path": "/orders"},
                       "response": {"status": 201, "body": "{}"}, "expectations": [],
                       "events": [
                {"seq": 1, "type": "http", "at": 1.0, "method": "POST", "path": "/orders",
                 "api_id": "abc", "status": 201, "duration_ms": 40.0, "resource": "/orders"},
                {"seq": 2, "type": "delivery", "at": 1.001, "source": "apigateway:abc/Prod",
                 "target": FN, "mode": "sync"},
                {"seq": 3, "type": "invocation", "at": 1.002, "function_name": FN,
                 "cold_start": False, "duration_ms": 30.0, "billed_duration_ms": 30,
                 "memory_size_mb": 128, "logs": "", "log_group": "g"}]}]}


@pytest.fixture
def ada(django_user_model, client):
    user = django_user_model.objects.create_user(username="ada", password="pw-ada-12345")
    client.force_login(user)
    return user


@pytest.fixture
def bob_run(django_user_model):
    bob = django_user_model.objects.create_user(username="bob", password="pw-bob-12345")
    return run_record_save(learner=learner_for_user(bob), pattern="rest-api",
                           document=_document("bobs-secret"))


def test_only_the_newest_20_runs_per_pattern_are_kept():
    for n in range(RUNS_KEPT_PER_PATTERN + 2):
        run_record_save(learner="user-1", pattern="rest-api", document=_document(f"s{n}"))
    run_record_save(learner="user-1", pattern="fan-out", document=_document("other"))
    run_record_save(learner="user-2", pattern="rest-api", document=_document("theirs"))
    kept = RunRecord.objects.filter(learner="user-1", pattern="rest-api")
    assert kept.count() == 20
    assert set(kept.values_list("scenario", flat=True)) == {f"s{n}" for n in range(2, 22)}
    assert RunRecord.objects.filter(pattern="fan-out").count() == 1
    assert RunRecord.objects.filter(learner="user-2").count() == 1


def test_the_history_lists_the_learners_own_runs_only(client, ada, bob_run):
    mine = run_record_save(learner=learner_for_user(ada), pattern="rest-api",
                           document=_document("create-then-get"))
    page = client.get(reverse("patterns:history", args=["rest-api"])).content.decode()
    assert reverse("patterns:run_detail", args=["rest-api", mine.pk]) in page
    assert "bobs-secret" not in page
    fragment = client.get(reverse("patterns:history", args=["rest-api"]),
                          HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="run-history"') and "<html" not in fragment


def test_a_run_reopens_with_its_trace_timeline_and_cost(client, ada):
    mine = run_record_save(learner=learner_for_user(ada), pattern="rest-api",
                           document=_document())
    response = client.get(reverse("patterns:run_detail", args=["rest-api", mine.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Trace of “create-then-get”" in html
    assert "Lambda CreateOrderFunction" in html and 'class="bar bar-invocation' in html
    assert "What this run would cost on AWS" in html
    assert "REST API requests" in html and "$3.50 per million requests" in html
    assert "flowchart LR" in html and "classDef aws_compute" in html


def test_another_learners_run_is_a_404(client, ada, bob_run):
    assert client.get(reverse("patterns:run_detail", args=["rest-api", bob_run.pk])
                      ).status_code == 404
    assert client.get(reverse("patterns:run_cost", args=["rest-api", bob_run.pk]),
                      {"runs_per_day": "10"}).status_code == 404
    # nor under another pattern's address, nor for an anonymous visitor
    mine = run_record_save(learner=learner_for_user(ada), pattern="rest-api",
                           document=_document())
    assert client.get(reverse("patterns:run_detail", args=["fan-out", mine.pk])
                      ).status_code == 404
    client.logout()
    assert client.get(reverse("patterns:run_detail", args=["rest-api", mine.pk])
                      ).status_code == 404
    assert client.get(reverse("patterns:history", args=["no-such-pattern"])).status_code == 404


def test_the_projection_follows_the_number_of_runs_a_day(client, ada):
    mine = run_record_save(learner=learner_for_user(ada), pattern="rest-api",
                           document=_document())
    url = reverse("patterns:run_cost", args=["rest-api", mine.pk])
    html = client.get(url, {"runs_per_day": "100000"}, HTTP_HX_REQUEST="true").content.decode()
    # 100,000 a day x 30 = 3,000,000 runs, 1 REST request each: 3,000,000 x $3.50 / 1M = $10.50
    assert html.lstrip().startswith('<div id="projection"')
    assert "A month at 100000 runs a day (30 days)" in html
    assert "3,000,000 requests" in html and "$10.50" in html


@pytest.mark.parametrize("bad", ["", "abc", "-5", "1.5", "100000001"])
def test_a_bad_number_of_runs_is_refused_where_the_learner_typed_it(client, ada, bad):
    mine = run_record_save(learner=learner_for_user(ada), pattern="rest-api",
                           document=_document())
    url = reverse("patterns:run_cost", args=["rest-api", mine.pk])
    response = client.get(url, {"runs_per_day": bad}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'role="alert"' in html
    assert "Runs a day must be a whole number from 0 to 100,000,000." in html
    assert "<table" not in html
    assert client.get(url, {"runs_per_day": bad}).status_code == 400  # without htmx


def test_running_a_scenario_keeps_it_in_the_history(client, lab_cloud):
    response = client.post(reverse("patterns:run", args=["rest-api"]),
                           {"scenario": "create-then-get"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    record = RunRecord.objects.get()
    assert record.scenario == "create-then-get" and record.ok
    assert record.learner.startswith("anon-") and record.document["steps"]
    assert 'class="bar bar-invocation' in html and "What this run would cost on AWS" in html
    assert f'hx-get="/patterns/rest-api/runs/{record.pk}/cost/"' in html
    reopened = client.get(reverse("patterns:run_detail", args=["rest-api", record.pk]))
    assert reopened.status_code == 200 and "Lambda CreateOrderFunction" in reopened.content.decode()
    # An unknown scenario runs nothing and keeps nothing.
    client.post(reverse("patterns:run", args=["rest-api"]), {"scenario": "nope"},
                HTTP_HX_REQUEST="true")
    assert RunRecord.objects.count() == 1
