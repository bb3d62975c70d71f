"""Your sandbox (patterns/sandbox_views.py) through Django's test client: the panel and its
page, objects, Reset my sandbox and Invoke with your own event; with and without htmx, and
what another learner may not see."""

import json

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PANEL = reverse("patterns:sandbox", args=["rest-api"])
RUN = reverse("patterns:run", args=["rest-api"])
RESET = reverse("patterns:sandbox_reset", args=["rest-api"])
INVOKE = reverse("patterns:sandbox_invoke", args=["rest-api"])
EVENTS = reverse("patterns:sandbox_events", args=["rest-api"])
IMAGES = "event-processing"


def _create_order(client, item="sandbox-panel-tea") -> None:
    response = client.post(RUN, {"method": "POST", "path": "/orders",
                                 "body": json.dumps({"item": item})}, **HTMX)
    assert response.status_code == 200 and "201" in response.content.decode()


def test_a_run_triggers_the_refresh_and_the_panel_shows_the_new_item(client, lab_cloud):
    response = client.post(RUN, {"method": "POST", "path": "/orders",
                                 "body": '{"item": "sandbox-panel-tea"}'}, **HTMX)
    assert response["HX-Trigger"] == '{"sandbox-changed": {}}'
    panel = client.get(PANEL, **HTMX)
    html = panel.content.decode()
    assert panel.status_code == 200
    assert html.lstrip().startswith('<div id="sandbox-panel"') and "<html" not in html
    assert 'hx-trigger="sandbox-changed from:body"' in html and "load" not in html.split(">")[0]
    assert "sandbox-panel-tea" in html
    assert '<th scope="col">id <span class="muted">(key)</span></th>' in html
    assert "S3 bucket" in html and "Log group <code>/aws/lambda/" in html


def test_the_page_without_htmx_has_the_panel_the_reset_and_the_editors(client, lab_cloud):
    _create_order(client, "page-without-htmx")
    page = client.get(PANEL).content.decode()
    assert "<html" in page and "page-without-htmx" in page
    assert 'id="sandbox-reset"' in page and 'name="confirm"' in page
    assert 'id="event-CreateOrderFunction"' in page and "&quot;httpMethod&quot;" in page
    assert 'id="trace"' in page  # the last run, where an invoke's trace lands


def test_before_any_run_the_panel_says_nothing_is_deployed(client, lab_cloud):
    html = client.get(PANEL, **HTMX).content.decode()
    assert "This pattern is not in your sandbox" in html


def test_the_pattern_page_loads_the_panel_and_the_editors_with_htmx(client):
    page = client.get(reverse("patterns:detail", args=["rest-api"])).content.decode()
    assert f'hx-get="{PANEL}" hx-trigger="load, sandbox-changed from:body"' in page
    assert f'hx-get="{EVENTS}" hx-trigger="load"' in page
    assert f'href="{PANEL}"' in page  # without JavaScript, the sandbox page


def test_another_learner_sees_none_of_it(client, lab_cloud):
    _create_order(client, "only-mine")
    other = Client()
    assert "only-mine" not in other.get(PANEL, **HTMX).content.decode()
    assert "This pattern is not in your sandbox" in other.get(PANEL, **HTMX).content.decode()


def test_a_bad_page_token_is_an_error_in_the_panel(client, lab_cloud):
    _create_order(client)
    html = client.get(PANEL, {"table": "nope", "start": "x"}, **HTMX).content.decode()
    assert 'role="alert"' in html and "no table &#x27;nope&#x27; in this sandbox" in html


def test_tables_page_through_their_items(client, lab_cloud):
    for n in range(22):
        _create_order(client, f"paged-{n:02}")
    html = client.get(PANEL, **HTMX).content.decode()
    assert html.count("paged-") == 20 and "Next items of" in html
    href = html.split('hx-get="')[-1].split('"')[0].replace("&amp;", "&")
    later = client.get(href, **HTMX).content.decode()
    assert later.count("paged-") == 2 and "First page" in later


def test_images_show_inline_and_other_objects_download(client, lab_cloud):
    run = client.post(reverse("patterns:run", args=[IMAGES]), {"scenario": "image-thumbnail"},
                      **HTMX)
    assert "passed" in run.content.decode()
    html = client.get(reverse("patterns:sandbox", args=[IMAGES]), **HTMX).content.decode()
    assert 'alt="The image uploads/photo.png"' in html
    src = html.split('<img class="object-image" src="')[1].split('"')[0].replace("&amp;", "&")
    image = client.get(src)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    download = client.get(src + "&download=1")
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"] == 'attachment; filename="photo.png"'
    assert download["X-Content-Type-Options"] == "nosniff"
    # Another learner asking for the same object gets nothing.
    assert Client().get(src).status_code == 404


def test_object_requests_without_a_name_or_for_no_pattern_are_not_found(client, lab_cloud):
    assert client.get(reverse("patterns:sandbox_object", args=["rest-api"])).status_code == 404
    assert client.get(reverse("patterns:sandbox_object", args=["no-such"]),
                      {"bucket": "b", "key": "k"}).status_code == 404


def test_reset_needs_the_confirmation_and_then_empties_the_panel(client, lab_cloud):
    _create_order(client, "reset-me")
    refused = client.post(RESET, {}, **HTMX)
    assert "Tick the box to confirm" in refused.content.decode()
    assert "HX-Trigger" not in refused
    assert "reset-me" in client.get(PANEL, **HTMX).content.decode()  # nothing done
    done = client.post(RESET, {"confirm": "yes"}, **HTMX)
    assert done["HX-Trigger"] == '{"sandbox-changed": {}}'
    assert "Your sandbox is empty" in done.content.decode()
    html = client.get(PANEL, **HTMX).content.decode()
    assert "reset-me" not in html and "This pattern is not in your sandbox" in html


def test_reset_without_htmx_redirects_with_the_outcome(client, lab_cloud):
    response = client.post(RESET, {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"] == PANEL
    assert "Your sandbox is empty" in client.get(PANEL).content.decode()


def test_reset_is_post_only_and_needs_the_csrf_token(lab_cloud):
    client = Client(enforce_csrf_checks=True)
    assert client.get(RESET).status_code == 405
    assert client.post(RESET, {"confirm": "yes"}).status_code == 403
    assert client.get(INVOKE).status_code == 405
    assert client.post(INVOKE, {"function": "CreateOrderFunction", "event": "{}"}
                       ).status_code == 403


def test_unknown_pattern_is_not_found_everywhere(client):
    for name in ("sandbox", "sandbox_events"):
        assert client.get(reverse(f"patterns:{name}", args=["no-such"])).status_code == 404
    for name in ("sandbox_reset", "sandbox_invoke"):
        assert client.post(reverse(f"patterns:{name}", args=["no-such"])).status_code == 404


def test_the_editors_hold_each_functions_sample_event(client):
    html = client.get(reverse("patterns:sandbox_events", args=[IMAGES]),
                      **HTMX).content.decode()
    assert html.lstrip().startswith('<div id="event-editors"')
    assert 'id="event-ThumbnailFunction"' in html and "S3 trigger" in html
    assert "ObjectCreated:Put" in html  # AWS's S3 sample event
    assert client.get(EVENTS).status_code == 302


def test_invoking_with_your_own_event_is_traced(client, lab_cloud):
    event = {"httpMethod": "POST", "path": "/orders", "body": '{"item": "own-event-kettle"}'}
    response = client.post(INVOKE, {"function": "CreateOrderFunction",
                                    "event": json.dumps(event)}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="trace"')
    assert "CreateOrderFunction" in html and "REPORT RequestId:" in html
    assert "own-event-kettle" in html
    assert response["HX-Trigger"] == '{"sandbox-changed": {}}'
    assert "own-event-kettle" in client.get(PANEL, **HTMX).content.decode()


def test_bad_json_is_refused_beside_the_editor_and_nothing_runs(client, lab_cloud):
    response = client.post(INVOKE, {"function": "CreateOrderFunction",
                                    "event": '{"httpMethod": "POST",}'}, **HTMX)
    html = response.content.decode()
    assert response["HX-Retarget"] == "#event-error-CreateOrderFunction"
    assert response["HX-Reswap"] == "outerHTML"
    assert html.startswith('<p id="event-error-CreateOrderFunction"')
    assert "The event is not JSON: Expecting property name" in html and "line 1" in html
    assert "HX-Trigger" not in response
    assert "This pattern is not in your sandbox" in client.get(PANEL, **HTMX).content.decode()


def test_bad_json_without_htmx_keeps_the_learners_text(client, lab_cloud):
    response = client.post(INVOKE, {"function": "GetOrderFunction", "event": "[1, 2"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "The event is not JSON" in html and ">[1, 2</textarea>" in html


@pytest.mark.parametrize("function, event, error", [
    ("CreateOrderFunction", "[1, 2]", "must be a JSON object"),
    ("NoSuchFunction", "{}", "This pattern has no function"),
])
def test_events_lambda_would_not_take_are_refused(client, lab_cloud, function, event, error):
    html = client.post(INVOKE, {"function": function, "event": event},
                       **HTMX).content.decode()
    assert error in html and 'role="alert"' in html


def test_the_lab_down_is_a_clear_error_in_the_panel(client, settings, django_user_model):
    client.force_login(django_user_model.objects.create_user("panel-reader"))
    settings.LAB_CLOUD_URL = "http://127.0.0.1:9"
    html = client.get(PANEL, **HTMX).content.decode()
    assert 'role="alert"' in html and "does not answer" in html


def test_invoking_without_htmx_redirects_to_the_trace_on_the_sandbox_page(client, lab_cloud):
    response = client.post(INVOKE, {"function": "GetOrderFunction",
                                    "event": '{"pathParameters": {"id": "no-such-order"}}'})
    assert response.status_code == 302 and response["Location"] == f"{PANEL}#trace"
    page = client.get(PANEL).content.decode()
    assert "GetOrderFunction" in page and "REPORT RequestId:" in page


def test_invoking_counts_as_a_run_for_the_rate_limit(client, settings):
    settings.RATE_LIMIT_RUN = "0/m"  # refused before anything reaches the lab cloud
    response = client.post(INVOKE, {"function": "CreateOrderFunction", "event": "{}"},
                           **HTMX)
    assert response.status_code == 429 and "Retry-After" in response
    assert "You have run more often than this lab allows" in response.content.decode()


def test_the_sharded_client_has_every_method_of_the_lab_client():
    """A class server's client (sandboxes/client.py) reaches the inventory as LabClient does."""
    from sandboxes.client import ShardedLabClient
    from serverless_lab.cloud.client import LabClient

    public = {name for name in vars(LabClient) if not name.startswith("_")}
    assert "inventory" in public and public <= set(dir(ShardedLabClient))


def test_a_visitor_who_has_run_nothing_gets_no_sandbox_for_looking(client, lab_cloud):
    before = lab_cloud.accounts.count()
    html = client.get(PANEL, **HTMX).content.decode()
    assert "This pattern is not in your sandbox" in html
    assert lab_cloud.accounts.count() == before and "sessionid" not in client.cookies
