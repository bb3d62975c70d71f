"""Rate limits on sign-in, sign-up and runs: each refused with 429, Retry-After and a clear
message where the user is. Small limits per test, in hour-long windows (a window opens at a
client's first request, so a slow machine cannot cross into the next one mid-test); the
windows' ends are driven by `now`, never by sleeping."""

import pytest
from django.contrib.auth.models import User
from django.test import Client, RequestFactory

from accounts.models import RateWindow
from accounts.ratelimit import Rate, client_ip, rate_hit, rate_parse

pytestmark = pytest.mark.django_db
RUN_URL = "/patterns/rest-api/run/"


@pytest.mark.parametrize("text, rate", [
    ("10/m", Rate(count=10, seconds=60)), ("100/h", Rate(count=100, seconds=3600)),
    ("5/10m", Rate(count=5, seconds=600)), (" 3 / s ", Rate(count=3, seconds=1)),
    ("1/d", Rate(count=1, seconds=86400)),
])
def test_rates_parse(text, rate):
    assert rate_parse(text) == rate


@pytest.mark.parametrize("text", ["10", "ten/m", "10/week", "/m", "10/m/s"])
def test_a_malformed_rate_is_refused_with_what_a_rate_looks_like(text):
    with pytest.raises(ValueError, match=r"A rate is 'N/unit' with unit s, m, h or d"):
        rate_parse(text)


def test_a_window_allows_its_count_then_refuses_until_it_ends():
    start = 1_800_000_030  # half past a minute: a window opens at the first request
    hit = [rate_hit(scope="t", key="k", rate="3/m", now=start + s) for s in (0, 10, 20, 45)]
    assert [v.allowed for v in hit] == [True, True, True, False]
    assert hit[3].retry_after == 15
    assert rate_hit(scope="t", key="other", rate="3/m", now=start + 46).allowed  # per key
    assert rate_hit(scope="u", key="k", rate="3/m", now=start + 46).allowed  # per scope
    assert not rate_hit(scope="t", key="k", rate="3/m", now=start + 59.5).allowed
    assert rate_hit(scope="t", key="k", rate="3/m", now=start + 60).allowed  # the next window
    assert rate_hit(scope="t", key="k", rate="3/m", now=start + 61).allowed


def test_windows_that_are_over_are_cleared_as_new_ones_open_and_keys_are_not_kept_as_given():
    start = 1_800_000_000
    rate_hit(scope="t", key="ada", rate="3/m", now=start)
    rate_hit(scope="t", key="bo", rate="3/m", now=start + 30)
    assert RateWindow.objects.count() == 2
    rate_hit(scope="t", key="cy", rate="3/m", now=start + 130)
    assert RateWindow.objects.count() == 1  # the window of ada and bo ended before
    assert not RateWindow.objects.filter(key__contains="cy").exists()


def test_an_empty_rate_is_no_limit():
    assert all(rate_hit(scope="t", key="k", rate="", now=0).allowed for _ in range(5))
    assert not RateWindow.objects.exists()


def test_the_client_address_behind_trusted_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2",
                                   HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    settings.RATE_LIMIT_PROXIES = 0
    assert client_ip(request) == "10.0.0.2"  # no proxy trusted: the header is the client's word
    settings.RATE_LIMIT_PROXIES = 1
    assert client_ip(request) == "203.0.113.7"  # what our proxy saw, not what the client wrote


def sign_in(client, username, password="wrong", **extra):
    return client.post("/accounts/login/", {"username": username, "password": password}, **extra)


def assert_refused(response, message):
    assert response.status_code == 429
    assert 3500 < int(response["Retry-After"]) <= 3600
    assert message in response.content.decode()


def test_sign_in_is_limited_per_username_even_with_the_right_password(client, settings):
    settings.RATE_LIMIT_LOGIN = "2/h"
    User.objects.create_user("ada", password="a-long-passphrase-1")
    assert sign_in(client, "ada").status_code == 200
    assert sign_in(client, "ADA", REMOTE_ADDR="10.9.9.9").status_code == 200  # case, address
    response = sign_in(client, "ada", "a-long-passphrase-1", REMOTE_ADDR="10.1.1.1")
    assert_refused(response, "Too many sign-in attempts. Try again in")
    assert '<div class="error" role="alert">' in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "bo").status_code == 200  # another username is not held up


def test_sign_in_is_limited_per_address(client, settings):
    settings.RATE_LIMIT_LOGIN_IP = "2/h"
    assert sign_in(client, "u1").status_code == 200
    assert sign_in(client, "u2").status_code == 200
    assert_refused(sign_in(client, "u3"), "Too many sign-in attempts.")
    assert sign_in(client, "u4", REMOTE_ADDR="10.2.2.2").status_code == 200


def test_showing_the_sign_in_page_is_not_counted(client, settings):
    settings.RATE_LIMIT_LOGIN_IP = "1/h"
    for _ in range(3):
        assert client.get("/accounts/login/").status_code == 200
    assert sign_in(client, "u1").status_code == 200


def test_sign_up_is_limited_per_address_and_a_refused_one_creates_no_one(client, settings):
    settings.RATE_LIMIT_SIGNUP = "1/h"
    fields = {"password1": "a-long-pass-9x", "password2": "a-long-pass-9x"}
    assert client.post("/accounts/signup/", {"username": "one", **fields}).status_code == 302
    client.logout()
    response = client.post("/accounts/signup/", {"username": "two", **fields})
    assert_refused(response, "Too many accounts were created from your network just now.")
    assert list(User.objects.values_list("username", flat=True)) == ["one"]


def run(client, **extra):
    # An unknown scenario answers without reaching the lab cloud, but counts as a run.
    return client.post(RUN_URL, {"scenario": "no-such-scenario"}, **extra)


def test_runs_are_limited_per_learner_in_the_trace_region(client, settings):
    settings.RATE_LIMIT_RUN = "2/h"
    for _ in range(2):
        assert "has no scenario" in run(client, HTTP_HX_REQUEST="true").content.decode()
    response = run(client, HTTP_HX_REQUEST="true")
    assert_refused(response, "You have run more often than this lab allows (2/h). Run again in")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="trace"') and "<html" not in html


def test_a_refused_run_without_htmx_shows_the_page_with_the_message(client, settings):
    settings.RATE_LIMIT_RUN = "1/h"
    assert run(client).status_code == 302
    response = run(client)
    assert_refused(response, "You have run more often than this lab allows (1/h).")
    html = response.content.decode()
    assert "<html" in html and 'id="run"' in html


def test_one_learner_at_the_limit_does_not_hold_up_another(client, settings, django_user_model):
    settings.RATE_LIMIT_RUN = "1/h"
    run(client)
    assert run(client).status_code == 429
    other = Client()
    other.force_login(django_user_model.objects.create_user("cy"))
    assert run(other).status_code == 302  # the same address, another learner


def test_the_chat_widget_deploy_counts_as_a_run(client, settings):
    settings.RATE_LIMIT_RUN = "0/m"  # refused before it deploys: no lab cloud needed
    response = client.post("/patterns/realtime-websocket/widget/")
    assert response.status_code == 429 and int(response["Retry-After"]) >= 1
    assert response.json()["error"].startswith("You have run more often than this lab allows.")
