"""Experiments (issue 16): read from each pattern's experiments.yaml, run in the learner's own
sandbox with the knob at each of two values, and offered on the pattern page (predict first,
then run, then the explanation and the knob)."""

import copy

import pytest
import yaml
from django.core.management import call_command
from django.urls import reverse

from patterns.catalog import CatalogError, catalog, pattern_get
from patterns.experiment_views import PREDICT_FIRST, UNKNOWN_PREDICTION
from patterns.experiments import experiment_run, experiments_read, pattern_experiments
from tests.conftest import learner_client

PATTERN = "async-queue"
EXPERIMENT = "visibility-too-short"
PAGE_URL = reverse("patterns:detail", args=[PATTERN])
PREDICT_URL = reverse("patterns:experiment_predict", args=[PATTERN, EXPERIMENT])
RUN_URL = reverse("patterns:experiment_run", args=[PATTERN, EXPERIMENT])


# -- reading --------------------------------------------------------------------------------

def test_every_pattern_experiment_reads_with_one_correct_prediction_and_a_knob():
    found = {(p.slug, e.slug): e for p in catalog().values()
             for e in pattern_experiments(p).values()}
    assert len(found) >= 9
    for experiment in found.values():
        assert experiment.correct.outcome in {o.slug for o in experiment.outcomes}
        assert experiment.knob.default in experiment.knob.values
        assert "[[" not in experiment.question  # figures cited from the numbers file
        assert all("[[" not in p for p in experiment.explanation)


def _write(tmp_path, experiments: dict):
    folder = tmp_path / "pattern"
    (folder / "experiments" / "burst").mkdir(parents=True)
    (folder / "experiments" / "burst" / "template.yaml").write_text("Resources: {}\n")
    (folder / "experiments.yaml").write_text(yaml.safe_dump(experiments))
    return folder


def _good() -> dict:
    raw = yaml.safe_load((pattern_get("rest-api").folder / "experiments.yaml").read_text())
    return {"critical-starved": copy.deepcopy(raw["critical-starved"])}


def test_a_good_experiment_reads(tmp_path):
    read = experiments_read(_write(tmp_path, _good()))
    assert read["critical-starved"].knob.values == (9, 4)


@pytest.mark.parametrize("break_it, message", [
    (lambda e: e.pop("question"), "needs 'question'"),
    (lambda e: [p.update(correct=True) for p in e["predictions"]], "exactly one prediction"),
    (lambda e: e["predictions"][0].update(outcome="nowhere"), "does not define"),
    (lambda e: e["knob"].update(values=[9]), "at least two values"),
    (lambda e: e["knob"].update(default=99), "is not one of its values"),
    (lambda e: e["steps"][0]["aws"]["params"].update(ReservedConcurrentExecutions=9),
     "put {knob} in its params"),
    (lambda e: e["outcomes"]["served"].update(step="no such step"), "needs the name of one"),
    (lambda e: e.update(stack="missing"), "has no template.yaml"),
    (lambda e: e.update(sandbox={"quotas": 1}), "sandbox takes only"),
    (lambda e: e["steps"][1].update(aws={}), "needs exactly one of"),
])
def test_a_bad_experiment_is_a_clear_catalog_error(tmp_path, break_it, message):
    experiments = _good()
    break_it(experiments["critical-starved"])
    with pytest.raises(CatalogError, match="experiments.yaml: critical-starved: ") as error:
        experiments_read(_write(tmp_path, experiments))
    assert message in str(error.value)


def test_experiments_yaml_that_is_not_yaml_is_a_catalog_error(tmp_path):
    folder = tmp_path / "pattern"
    folder.mkdir()
    (folder / "experiments.yaml").write_text("critical: [unclosed\n")
    with pytest.raises(CatalogError, match="experiments.yaml"):
        experiments_read(folder)


def test_lab_list_json_names_each_patterns_experiments(capsys):
    import json

    call_command("lab", "list", "--json")
    listed = {p["slug"]: p for p in json.loads(capsys.readouterr().out)}
    assert {"slug": "critical-starved", "title": "A batch burst starves the checkout function",
            "knob": {"name": "Reserved concurrency of the batch job function",
                     "values": [9, 4], "default": 9}} in listed["rest-api"]["experiments"]
    assert [e["slug"] for e in listed[PATTERN]["experiments"]] == [EXPERIMENT,
                                                                   "payload-too-large"]


@pytest.mark.django_db
def test_the_downloaded_sam_project_leaves_out_the_experiments_teaching_data(client):
    import io
    import zipfile

    response = client.get(reverse("patterns:download", args=["rest-api"]))
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert "rest-api/experiments.yaml" not in names
    assert "rest-api/template.yaml" in names


# -- outcomes, from real runs (two knob values each) ----------------------------------------

def _run(lab, learner, pattern_slug, experiment_slug, value):
    pattern = pattern_get(pattern_slug)
    experiment = pattern_experiments(pattern)[experiment_slug]
    return experiment, experiment_run(client=lab, learner=learner, pattern=pattern,
                                      experiment=experiment, knob_value=value,
                                      prediction=experiment.correct)


def _throttles(run) -> int:
    """Throttled Invoke calls the handlers made, as the trace recorded them."""
    return sum(1 for step in run.trace.steps for e in step.events
               if e["type"] == "api_call" and e.get("operation") == "Invoke"
               and e.get("status") == 429)


def test_burst_with_the_batch_job_allowed_9_throttles_checkout(lab, learner):
    experiment, run = _run(lab, learner, "rest-api", "critical-starved", 9)
    assert run.trace.error is None
    assert run.outcome.slug == "throttled" == experiment.correct.outcome
    assert run.predicted_right
    burst = run.trace.steps[1].response["json"]
    assert burst == {"critical": "throttled", "batch_jobs_ran": 9, "batch_jobs_throttled": 3}
    assert _throttles(run) == 4  # 3 jobs and checkout, each a 429 in the trace
    assert lab.settings(learner)["concurrency_limit"] == 1000  # the lab's limit put back
    reserved = learner_client(lab, learner, "lambda").get_function_concurrency(
        FunctionName=run.trace.steps[0].request["params"]["FunctionName"])
    assert reserved["ReservedConcurrentExecutions"] == 9  # set through Lambda's API


def test_burst_with_the_batch_job_capped_at_4_serves_checkout(lab, learner):
    _, run = _run(lab, learner, "rest-api", "critical-starved", 4)
    assert run.outcome.slug == "served"
    assert not run.predicted_right  # the learner predicted for 9
    assert run.trace.steps[1].response["json"] == {
        "critical": "served", "batch_jobs_ran": 4, "batch_jobs_throttled": 8}
    assert _throttles(run) == 8


def _processed(run) -> list[str]:
    return [e["function_name"] for step in run.trace.steps for e in step.events
            if e["type"] == "invocation"]


def test_visibility_timeout_of_1s_processes_the_message_twice(lab, learner):
    experiment, run = _run(lab, learner, PATTERN, EXPERIMENT, "1")
    assert run.outcome.slug == "twice" == experiment.correct.outcome
    assert len(_processed(run)) == 2
    attributes = learner_client(lab, learner, "sqs").get_queue_attributes(
        QueueUrl=run.trace.steps[0].request["params"]["QueueUrl"],
        AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert attributes == {"VisibilityTimeout": "1"}


def test_visibility_timeout_of_60s_processes_it_once(lab, learner):
    _, run = _run(lab, learner, PATTERN, EXPERIMENT, "60")
    assert run.outcome.slug == "once"
    assert len(_processed(run)) == 1


def _cold_starts(run, function_prefix: str) -> int:
    return sum(1 for step in run.trace.steps for e in step.events
               if e["type"] == "invocation" and e["cold_start"]
               and e["function_name"].startswith(function_prefix))


def test_provisioned_concurrency_of_1_leaves_two_of_three_requests_cold(lab, learner):
    experiment, run = _run(lab, learner, "rest-api", "cold-starts", 1)
    assert run.outcome.slug == "two-cold" == experiment.correct.outcome
    assert _cold_starts(run, "rest-api-warm-ApiFunction") == 2  # the trace agrees


def test_provisioned_concurrency_of_3_leaves_none_cold(lab, learner):
    _, run = _run(lab, learner, "rest-api", "cold-starts", 3)
    assert run.outcome.slug == "none-cold"
    assert _cold_starts(run, "rest-api-warm-ApiFunction") == 0
    assert len([e for s in run.trace.steps for e in s.events if e["type"] == "invocation"
                and e["initialization_type"] == "provisioned-concurrency"]) == 3


def _api_calls(run, operation: str, status: int) -> int:
    return sum(1 for step in run.trace.steps for e in step.events
               if e["type"] == "api_call" and e.get("operation") == operation
               and e.get("status") == status)


def test_without_idempotency_the_duplicate_delivery_sends_two_emails(lab, learner):
    experiment, run = _run(lab, learner, "fan-out", "idempotent-consumer", "off")
    assert run.outcome.slug == "two-emails" == experiment.correct.outcome
    assert len(_processed(run)) == 2 and _api_calls(run, "UpdateItem", 200) == 2
    assert _api_calls(run, "PutItem", 400) == 0


def test_with_idempotency_the_duplicate_is_skipped(lab, learner):
    _, run = _run(lab, learner, "fan-out", "idempotent-consumer", "on")
    assert run.outcome.slug == "one-email"
    assert len(_processed(run)) == 2  # still delivered twice...
    assert _api_calls(run, "PutItem", 400) == 1  # ...the second's conditional write refused
    assert _api_calls(run, "UpdateItem", 200) == 1


def test_a_waiting_checkout_with_a_3s_timeout_times_out_step_functions_does_not(lab, learner):
    experiment, run = _run(lab, learner, "orchestration", "waiting-lambda", 3)
    assert run.outcome.slug == "timed-out" == experiment.correct.outcome
    checkout = [e for e in run.trace.steps[1].events if e["type"] == "invocation"
                and "CheckoutFunction" in e["function_name"]]
    assert "Task timed out after 3.00 seconds" in checkout[0]["logs"]
    assert [x.passed for x in run.trace.steps[2].expectations] == [True]  # SUCCEEDED


def test_a_waiting_checkout_with_a_10s_timeout_pays_for_its_waits(lab, learner):
    _, run = _run(lab, learner, "orchestration", "waiting-lambda", 10)
    assert run.outcome.slug == "charged"
    checkout = [e for e in run.trace.steps[1].events if e["type"] == "invocation"
                and "CheckoutFunction" in e["function_name"]]
    assert checkout[0]["billed_duration_ms"] > 4000  # three attempts and 3 s of backoff


LOOP_POLICY = '{"stage": ["new", "enriched"]}'


def test_a_filter_that_lets_results_back_loops_until_lambda_stops_it(lab, learner):
    experiment, run = _run(lab, learner, "event-processing", "recursive-loop", LOOP_POLICY)
    assert run.outcome.slug == "stopped" == experiment.correct.outcome
    stopped = [e for e in run.trace.steps[2].events if e.get("recursion_stopped")]
    assert len(stopped) == 1


def test_a_filter_on_new_events_only_runs_the_function_once(lab, learner):
    _, run = _run(lab, learner, "event-processing", "recursive-loop", '{"stage": ["new"]}')
    assert run.outcome.slug == "once"
    assert not [e for e in run.trace.steps[2].events if e.get("recursion_stopped")]
    topic = run.trace.steps[1].request["params"]["TopicArn"]
    subscriptions = learner_client(lab, learner, "sns").list_subscriptions_by_topic(
        TopicArn=topic)["Subscriptions"]
    assert subscriptions == []  # the run unsubscribed what it subscribed


def test_a_600kb_order_over_a_256kib_queue_limit_goes_through_s3(lab, learner):
    experiment, run = _run(lab, learner, PATTERN, "payload-too-large", "262144")
    assert run.outcome.slug == "claim-check" == experiment.correct.outcome
    assert _api_calls(run, "SendMessage", 400) == 1  # SQS refused the order inline
    assert _api_calls(run, "PutObject", 200) == 1 and _api_calls(run, "GetObject", 200) == 1


def test_a_600kb_order_under_a_1mib_queue_limit_goes_inline(lab, learner):
    _, run = _run(lab, learner, PATTERN, "payload-too-large", "1048576")
    assert run.outcome.slug == "inline"
    assert _api_calls(run, "SendMessage", 400) == 0 and _api_calls(run, "PutObject", 200) == 0


def _indexed(run) -> list[str]:
    """What the indexers wrote, in the order they wrote it ("s3: v2", "fifo: v1", ...)."""
    lines = sorted((e["at"] + e["duration_ms"] / 1000, line.split("indexed ")[0] + line.split(
        "indexed ")[1][:2]) for step in run.trace.steps for e in step.events
        if e["type"] == "invocation" for line in e["logs"].splitlines() if ": indexed v" in line)
    return [line.split("\t")[-1].strip() for _, line in lines]


def test_one_message_group_per_upload_lets_the_stale_version_win(lab, learner):
    experiment, run = _run(lab, learner, "event-processing", "out-of-order", "upload")
    assert run.outcome.slug == "stale" == experiment.correct.outcome
    indexed = _indexed(run)
    assert [i for i in indexed if i.startswith("fifo")] == ["fifo: v2", "fifo: v1"]
    assert [i for i in indexed if i.startswith("s3")] == ["s3: v2", "s3: v1"]


def test_one_message_group_per_document_keeps_the_versions_in_order(lab, learner):
    _, run = _run(lab, learner, "event-processing", "out-of-order", "document")
    assert run.outcome.slug == "latest"
    indexed = _indexed(run)
    assert [i for i in indexed if i.startswith("fifo")] == ["fifo: v1", "fifo: v2"]
    assert [i for i in indexed if i.startswith("s3")] == ["s3: v2", "s3: v1"]  # S3: no order


def test_ten_workers_on_a_five_connection_database_half_are_refused(lab, learner):
    experiment, run = _run(lab, learner, "change-data-capture", "connection-limit", "database")
    assert run.outcome.slug == "half-refused" == experiment.correct.outcome
    errors = [e for e in run.trace.steps[1].events if e["type"] == "invocation"
              and (e.get("error") or {}).get("errorType") == "TooManyConnections"]
    assert len(errors) == 5
    assert "[simulated database] FATAL: sorry, too many clients already" in errors[0]["logs"]


def test_ten_workers_through_the_proxy_all_apply_their_change(lab, learner):
    _, run = _run(lab, learner, "change-data-capture", "connection-limit", "proxy")
    assert run.outcome.slug == "all-applied"
    assert not [e for e in run.trace.steps[1].events if e["type"] == "invocation"
                and e.get("error")]


def test_a_knob_value_outside_the_list_is_refused_before_anything_runs(lab, learner):
    pattern = pattern_get("rest-api")
    experiment = pattern_experiments(pattern)["critical-starved"]
    with pytest.raises(ValueError, match="not a value this experiment's knob takes"):
        experiment_run(client=lab, learner=learner, pattern=pattern, experiment=experiment,
                       knob_value=0, prediction=None)
    assert lab.trace(learner)["events"] == []  # nothing deployed, nothing called


# -- the page -------------------------------------------------------------------------------

def _learner(client) -> str:
    """The anonymous learner a test client's session is (patterns.lab.learner_for)."""
    return f"anon-{client.session.session_key[:20]}"


@pytest.mark.django_db
def test_the_page_asks_for_a_prediction_before_offering_run(client):
    page = client.get(PAGE_URL).content.decode()
    assert 'id="experiment-visibility-too-short"' in page
    assert f'hx-post="{PREDICT_URL}"' in page and 'name="prediction" value="twice"' in page
    assert f'action="{RUN_URL}"' not in page  # no Run button before a prediction
    assert "Predict first" in page
    assert "Why</h4>" not in page  # the explanation comes after a run


@pytest.mark.django_db
def test_a_simulated_part_is_marked_on_the_page(client):
    page = client.get(reverse("patterns:detail", args=["change-data-capture"])).content.decode()
    assert '<strong>Simulated:</strong> The database and its proxy are simulated' in page
    assert "Simulated:" not in client.get(PAGE_URL).content.decode()


@pytest.mark.django_db
def test_predicting_offers_the_run_with_the_knob(client):
    response = client.post(PREDICT_URL, {"prediction": "twice"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="experiment-visibility-too-short"')
    assert f'hx-post="{RUN_URL}"' in html
    assert '<option value="1" selected>1</option>' in html
    assert '<option value="60">60</option>' in html
    assert "You predicted: <strong>More than once." in html


@pytest.mark.django_db
def test_predicting_without_javascript_redirects_back_to_the_experiment(client):
    response = client.post(PREDICT_URL, {"prediction": "once"})
    assert response.status_code == 302
    assert response["Location"] == PAGE_URL + "#experiment-visibility-too-short"
    page = client.get(PAGE_URL).content.decode()
    assert f'action="{RUN_URL}"' in page and 'value="once" required checked' in page


@pytest.mark.django_db
def test_an_unknown_prediction_is_refused_where_the_learner_is(client):
    html = client.post(PREDICT_URL, {"prediction": "sometimes"},
                       HTTP_HX_REQUEST="true").content.decode()
    assert UNKNOWN_PREDICTION in html and f'action="{RUN_URL}"' not in html


@pytest.mark.django_db
def test_running_before_predicting_is_refused_and_runs_nothing(client, lab_cloud, lab):
    html = client.post(RUN_URL, {"knob": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert PREDICT_FIRST in html
    assert lab.trace(_learner(client))["events"] == []


@pytest.mark.django_db
def test_a_knob_value_outside_the_list_is_refused_on_the_page(client, lab_cloud, lab):
    client.post(PREDICT_URL, {"prediction": "twice"})
    html = client.post(RUN_URL, {"knob": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert "&#x27;0&#x27; is not a value this experiment&#x27;s knob takes: choose one of 1, 60." \
           " Your sandbox is unchanged." in html
    assert lab.trace(_learner(client))["events"] == []
    # Without JavaScript: the same message, back on the page in the experiment's box.
    client.post(RUN_URL, {"knob": "3600"})
    page = client.get(PAGE_URL).content.decode()
    assert "&#x27;3600&#x27; is not a value" in page
    assert "&#x27;3600&#x27; is not a value" not in client.get(PAGE_URL).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PREDICT_URL, RUN_URL])
def test_experiment_urls_take_only_post(client, url):
    assert client.get(url).status_code == 405


@pytest.mark.django_db
def test_unknown_experiments_and_patterns_are_404(client):
    assert client.post(reverse("patterns:experiment_run", args=[PATTERN, "nope"]),
                       {"knob": "1"}).status_code == 404
    assert client.post(reverse("patterns:experiment_predict", args=["nope", EXPERIMENT]),
                       {"prediction": "twice"}).status_code == 404


@pytest.mark.django_db
def test_the_rate_limit_refuses_an_experiment_run(client, settings):
    settings.RATE_LIMIT_RUN = "0/m"
    client.post(PREDICT_URL, {"prediction": "twice"})
    html = client.post(RUN_URL, {"knob": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "You have run more often than this lab allows" in html


@pytest.mark.django_db
def test_run_predict_explain_turn_the_knob_and_compare(client, lab_cloud, lab):
    """One learner's whole experiment through the page; another learner (a second browser,
    naming the first one's learner in the form) neither runs in nor sees the first's sandbox."""
    client.post(PREDICT_URL, {"prediction": "twice"}, HTTP_HX_REQUEST="true")
    response = client.post(RUN_URL, {"knob": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "The one message was processed twice." in html
    assert "You predicted this" in html and "Why</h4>" in html
    assert 'id="trace" aria-live="polite" hx-swap-oob="true"' in html  # the page's trace too
    assert "async-queue-visibility-ConsumerA" in html
    assert "sandbox-changed" in response["HX-Trigger"]
    html = client.post(RUN_URL, {"knob": "60"}, HTTP_HX_REQUEST="true").content.decode()
    assert "The message was processed once." in html and "Not what you predicted" in html
    assert html.index("<td>60</td>") < html.index("<td>1</td>")  # both runs, newest first
    mine = _learner(client)
    mine_account = lab.sandbox(mine)["account_id"]

    # An anonymous second browser: signed-in learners are user-<pk>, and pks repeat from test
    # to test while the lab cloud (and so user-1's sandbox) lives for the whole session.
    other = client.__class__()
    other.post(PREDICT_URL, {"prediction": "once"})
    page = other.get(PAGE_URL).content.decode()
    assert "The one message was processed twice." not in page  # not the first learner's
    html = other.post(RUN_URL, {"knob": "60", "learner": mine},
                      HTTP_HX_REQUEST="true").content.decode()
    assert "The message was processed once." in html
    assert f"Account {mine_account}" not in html
    assert f"Account {lab.sandbox(_learner(other))['account_id']}" in html


@pytest.mark.django_db
def test_without_javascript_a_run_redirects_to_the_page_showing_its_outcome_and_trace(
        client, lab_cloud):
    client.post(PREDICT_URL, {"prediction": "once"})
    response = client.post(RUN_URL, {"knob": "60"})
    assert response.status_code == 302
    assert response["Location"] == PAGE_URL + "#experiment-visibility-too-short"
    page = client.get(PAGE_URL).content.decode()
    assert "The message was processed once." in page and "You predicted this" in page
    assert '<option value="60" selected>60</option>' in page  # the knob as last set
    assert 'id="trace" aria-live="polite">' in page  # the page's trace, not out of band
    assert "async-queue-visibility-Consumer" in page
