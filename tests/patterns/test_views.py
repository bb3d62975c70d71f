"""The pattern pages through Django's test client, with and without htmx."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
RUN_URL = reverse("patterns:run", args=["rest-api"])
PAGE_URL = reverse("patterns:detail", args=["rest-api"])


def test_index_lists_the_patterns(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b'href="/patterns/rest-api/"' in response.content
    assert "Serverless REST API" in response.content.decode()


def test_pattern_page_teaches_and_offers_a_run(client):
    page = client.get(PAGE_URL).content.decode()
    for section in ("what", "when", "diagram", "costs", "limits", "run", "handlers"):
        assert f'id="{section}"' in page
    assert "flowchart LR" in page  # the diagram, drawn from template.yaml
    assert "From ServerlessRestApi (API Gateway (REST)) to CreateOrderFunction (Lambda)" in page
    assert "create_order.py" in page and ">put_item<" in page
    assert "29 seconds" in page  # a figure cited from content/aws_numbers.yaml
    assert 'name="scenario" value="create-then-get"' in page
    assert 'hx-post="/patterns/rest-api/run/"' in page


def test_unknown_pattern_is_404(client):
    assert client.get("/patterns/no-such-thing/").status_code == 404


def test_htmx_run_returns_only_the_trace_fragment(client, lab_cloud):
    response = client.post(RUN_URL, {"scenario": "create-then-get"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="trace"')
    assert "<html" not in html
    assert "REPORT RequestId:" in html and "Init Duration:" in html
    assert html.count('class="badge cold"') == 2 and html.count('class="badge warm"') == 1
    assert "dynamodb" in html and "PutItem" in html
    assert "passed" in html


def test_plain_post_redirects_and_the_page_shows_the_last_run(client, lab_cloud):
    response = client.post(RUN_URL, {"method": "POST", "path": "/orders",
                                     "body": '{"item": "filter paper"}'})
    assert response.status_code == 302
    assert response["Location"] == f"{PAGE_URL}#run"
    page = client.get(PAGE_URL).content.decode()
    assert "filter paper" in page and "REPORT RequestId:" in page


def test_handler_error_is_shown_with_the_502_and_the_logs(client, lab_cloud):
    html = client.post(RUN_URL, {"scenario": "handler-error"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert "502" in html and "Internal server error" in html
    assert "RuntimeError: Payment service unavailable" in html


def test_bad_path_is_refused_where_the_learner_is(client, lab_cloud):
    html = client.post(RUN_URL, {"method": "GET", "path": "orders"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert "The path starts with / (for example /orders)." in html
    response = client.post(RUN_URL, {"method": "GET", "path": "orders"}, follow=True)
    assert "The path starts with / (for example /orders)." in response.content.decode()


def test_unknown_scenario_is_a_clear_error(client, lab_cloud):
    html = client.post(RUN_URL, {"scenario": "nope"}, HTTP_HX_REQUEST="true").content.decode()
    assert "This pattern has no scenario &#x27;nope&#x27;." in html


def test_lab_cloud_down_is_a_clear_error_and_the_app_keeps_serving(client, settings):
    settings.LAB_CLOUD_URL = "http://127.0.0.1:9"
    html = client.post(RUN_URL, {"scenario": "create-then-get"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert "The lab cloud does not answer at http://127.0.0.1:9" in html
    assert client.get(PAGE_URL).status_code == 200


def test_page_shows_cfn_lint_and_the_commands_for_real_aws(client):
    page = client.get(PAGE_URL).content.decode()
    assert "cfn-lint finds nothing to fix in this template." in page
    assert "sam deploy --stack-name rest-api --resolve-s3 --capabilities CAPABILITY_IAM" in page
    assert ("curl -X POST https://&lt;api-id&gt;.execute-api.&lt;region&gt;.amazonaws.com"
            "/Prod/orders") in page


def test_download_is_a_sam_project_without_the_labs_teaching_files(client):
    import io
    import zipfile

    response = client.get(reverse("patterns:download", args=["rest-api"]))
    assert response["Content-Disposition"] == 'attachment; filename="rest-api.zip"'
    names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    assert {"rest-api/template.yaml", "rest-api/src/create_order.py",
            "rest-api/README.md"} <= names
    assert not {"rest-api/pattern.yaml", "rest-api/scenarios.yaml"} & names


def test_a_run_draws_its_sequence_diagram_from_the_trace(client, lab_cloud):
    html = client.post(RUN_URL, {"scenario": "create-then-get"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert "sequenceDiagram" in html
    assert "Client-&gt;&gt;API_Gateway: POST /orders" in html
    assert "CreateOrderFunction-&gt;&gt;DynamoDB: PutItem (200)" in html
    assert "Note over CreateOrderFunction: cold start" in html


SCHEDULED_PAGE_URL = reverse("patterns:detail", args=["scheduled-tasks"])
SCHEDULED_RUN_URL = reverse("patterns:run", args=["scheduled-tasks"])


def _anonymous_sandbox(client, lab):
    """What the lab cloud holds for the browser session `client` is (its learner's account)."""
    from serverless_lab.cloud.clients import client as aws_client

    learner = f"anon-{client.session.session_key[:20]}"
    found = lab.sandbox(learner)
    return learner, lambda service: aws_client(service, endpoint_url=found["endpoint_url"],
                                               credentials=found["credentials"],
                                               region=found["region"])


def test_only_a_page_with_schedules_offers_the_sandbox_clock(client):
    scheduled = client.get(SCHEDULED_PAGE_URL).content.decode()
    assert "Fast-forward the clock" in scheduled
    assert '<option value="24h" selected>1 day</option>' in scheduled
    assert "Fast-forward the clock" not in client.get(PAGE_URL).content.decode()


def test_fast_forwarding_the_clock_fires_the_nightly_job_and_traces_it(client, lab):
    html = client.post(SCHEDULED_RUN_URL, {"advance": "24h"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert html.lstrip().startswith('<div id="trace"')
    assert "lab clock +24h" in html
    assert "cron(0 2 * * ? *)" in html and "T02:00:00Z" in html  # the firing, at 02:00
    assert "<strong>scheduled-tasks-CleanupFunction-" in html and "REPORT RequestId:" in html
    assert "deleted 0 expired session(s)" in html
    learner, aws = _anonymous_sandbox(client, lab)
    assert lab.clock(learner)["offset_seconds"] >= 86400
    reports = aws("s3").list_objects_v2(Bucket=_bucket(aws), Prefix="reports/")["Contents"]
    assert "reports/latest.json" in {r["Key"] for r in reports}


def _bucket(aws) -> str:
    [bucket] = [b["Name"] for b in aws("s3").list_buckets()["Buckets"]
                if "reportsbucket" in b["Name"].lower()]
    return bucket


def test_a_clock_advance_not_offered_is_refused_and_the_clock_stays(client, lab):
    html = client.post(SCHEDULED_RUN_URL, {"advance": "3y"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert "Select a valid choice. 3y is not one of the available choices." in html
    assert "lab clock" not in html
    learner, _ = _anonymous_sandbox(client, lab)
    assert lab.clock(learner)["offset_seconds"] == 0
