"""The endpoint pattern pages' widgets call: the chat's WebSocket URL, deployed on demand."""

import json

import pytest
from django.urls import reverse
from websockets.sync.client import connect

pytestmark = pytest.mark.django_db
WIDGET_URL = reverse("patterns:widget", args=["realtime-websocket"])


def test_the_chat_widget_is_on_its_pattern_page_only(client):
    page = client.get(reverse("patterns:detail", args=["realtime-websocket"])).content.decode()
    assert 'id="chat"' in page and f'data-endpoint="{WIDGET_URL}"' in page
    assert 'aria-live="polite"' in page and '<label for="chat-name">' in page
    assert "js/chat-widget.js" in page
    rest = client.get(reverse("patterns:detail", args=["rest-api"])).content.decode()
    assert 'id="chat"' not in rest


def test_posting_deploys_the_chat_and_answers_its_websocket_url(client, lab_cloud):
    response = client.post(WIDGET_URL, HTTP_HOST="127.0.0.1:8000")  # a laptop's browser
    assert response.status_code == 200
    url = response.json()["url"]
    assert url.startswith(lab_cloud.websockets.url) and url.endswith("/production")
    with connect(f"{url}?name=Ada") as ada:  # the learner's own chat answers
        ada.send(json.dumps({"action": "sendmessage", "message": "hi"}))
        assert json.loads(ada.recv(timeout=10))["from"] == "Ada"
    again = client.post(WIDGET_URL, HTTP_HOST="127.0.0.1:8000").json()["url"]
    assert again == url  # deployed once, reused


def test_a_browser_on_another_machine_is_given_the_host_it_reached_the_site_by(
        client, lab_cloud, settings):
    settings.ALLOWED_HOSTS = ["lab.example.edu", "127.0.0.1"]
    port = lab_cloud.websockets.url.rsplit(":", 1)[1]

    answer = client.post(WIDGET_URL, HTTP_HOST="lab.example.edu:8000").json()

    assert answer["url"].startswith(f"ws://lab.example.edu:{port}/")
    assert answer["url"].endswith("/production")
    on_this_machine = client.post(WIDGET_URL, HTTP_HOST="127.0.0.1:8000").json()
    assert on_this_machine["url"].startswith(lab_cloud.websockets.url)


def test_only_post_and_only_patterns_with_a_widget(client):
    assert client.get(WIDGET_URL).status_code == 405
    assert client.post(reverse("patterns:widget", args=["rest-api"])).status_code == 404
    assert client.post(reverse("patterns:widget", args=["no-such-thing"])).status_code == 404


def test_behind_a_tls_proxy_the_browser_is_given_the_public_wss_url(client, lab_cloud,
                                                                     settings):
    settings.ALLOWED_HOSTS = ["lab.example.edu", "127.0.0.1"]
    settings.LAB_WEBSOCKET_PUBLIC_URL = "wss://lab.example.edu/ws/"

    answer = client.post(WIDGET_URL, HTTP_HOST="lab.example.edu", secure=True).json()

    lab_url = client.post(WIDGET_URL, HTTP_HOST="lab.example.edu").json()["url"]
    assert lab_url == answer["url"]  # the same public URL, whatever the scheme of the page
    api_path = lab_url.removeprefix("wss://lab.example.edu/ws")
    assert api_path.endswith("/production") and api_path.count("/") == 2
    settings.LAB_WEBSOCKET_PUBLIC_URL = ""
    direct = client.post(WIDGET_URL, HTTP_HOST="127.0.0.1").json()["url"]
    assert direct == lab_cloud.websockets.url + api_path  # the path the proxy passes on


def test_an_https_page_without_a_public_wss_url_gets_a_clear_error(client, lab_cloud,
                                                                    settings):
    settings.ALLOWED_HOSTS = ["lab.example.edu"]
    settings.LAB_WEBSOCKET_PUBLIC_URL = ""

    response = client.post(WIDGET_URL, HTTP_HOST="lab.example.edu", secure=True)

    assert response.status_code == 503
    assert "LAB_WEBSOCKET_PUBLIC_URL" in response.json()["error"]
    assert "ws://" in response.json()["error"]
