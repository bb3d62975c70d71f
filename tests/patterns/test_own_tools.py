"""The "Use your own tools" panel: this learner's credentials, working in their sandbox and
nowhere else (issue 11, item 3)."""

import re

import boto3
import pytest
from botocore.exceptions import ClientError
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db
PANEL_URL = reverse("patterns:own_tools", args=["rest-api"])
PAGE_URL = reverse("patterns:detail", args=["rest-api"])
RUN_URL = reverse("patterns:run", args=["rest-api"])
EXPORT = re.compile(r"export (\w+)=([^\s<]+)")


def panel_exports(client) -> dict:
    response = client.get(PANEL_URL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    return {k: v.strip("'") for k, v in EXPORT.findall(response.content.decode())}


def session_from(exports: dict) -> boto3.Session:
    return boto3.Session(aws_access_key_id=exports["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=exports["AWS_SECRET_ACCESS_KEY"],
                         aws_session_token=exports["AWS_SESSION_TOKEN"],
                         region_name=exports["AWS_REGION"])


def test_the_page_offers_the_panel_without_showing_keys(client):
    page = client.get(PAGE_URL).content.decode()
    assert 'id="own-tools"' in page and f'hx-get="{PANEL_URL}"' in page
    assert "AWS_SECRET_ACCESS_KEY" not in page  # nothing is issued until asked for
    assert "patterns/copy.js" in page and "<script>" not in page  # no inline script (CSP)


def test_the_panel_gives_this_learner_exports_commands_and_expiry(client, lab_cloud):
    response = client.get(PANEL_URL, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="own-tools"') and "<html" not in html
    assert "no-store" in response["Cache-Control"]
    exports = panel_exports(client)
    assert set(exports) == {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                            "AWS_SESSION_TOKEN", "AWS_REGION"}
    assert exports["AWS_ENDPOINT_URL"] == lab_cloud.url and exports["AWS_REGION"] == "us-east-1"
    learner = next(name for name, sandbox in lab_cloud.accounts._sandboxes.items()
                   if sandbox.credentials["AccessKeyId"] == exports["AWS_ACCESS_KEY_ID"])
    assert f"<code>learner:{learner}</code>" in html
    assert "They expire at" in html and 'data-copy-target="own-tools-exports"' in html
    assert "aws cloudformation describe-stack-resources --stack-name rest-api" in html


def test_without_htmx_the_whole_page_has_the_panel_filled(client, lab_cloud):
    page = client.get(PANEL_URL).content.decode()
    assert "<html" in page and "export AWS_ACCESS_KEY_ID=" in page


def test_two_sessions_each_see_only_their_own_keys_and_the_keys_work(client, lab_cloud):
    other = Client()
    assert client.post(RUN_URL, {"scenario": "create-then-get"}).status_code == 302
    mine, theirs = panel_exports(client), panel_exports(other)
    assert mine["AWS_ACCESS_KEY_ID"] != theirs["AWS_ACCESS_KEY_ID"]
    mine_html = client.get(PANEL_URL, HTTP_HX_REQUEST="true").content.decode()
    assert theirs["AWS_ACCESS_KEY_ID"] not in mine_html
    assert theirs["AWS_SECRET_ACCESS_KEY"] not in mine_html
    # The panel names the learner's own table, and the keys scan it.
    table = re.search(r"aws dynamodb scan --table-name (\S+)", mine_html)[1]
    db = session_from(mine).client("dynamodb", endpoint_url=mine["AWS_ENDPOINT_URL"])
    assert db.scan(TableName=table)["Count"] == 2  # the run's two orders
    # The other learner's keys are confined to their own (empty) account.
    their_db = session_from(theirs).client("dynamodb", endpoint_url=theirs["AWS_ENDPOINT_URL"])
    assert their_db.list_tables()["TableNames"] == []
    with pytest.raises(ClientError) as refused:
        their_db.scan(TableName=table)
    assert refused.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_the_endpoint_is_the_public_one_on_a_class_server(client, lab_cloud, settings):
    settings.LAB_CLOUD_PUBLIC_URL = "http://lab.example.edu:4566"
    assert panel_exports(client)["AWS_ENDPOINT_URL"] == "http://lab.example.edu:4566"


def test_the_lab_cloud_down_is_said_in_the_panel(client, settings):
    settings.LAB_CLOUD_URL = "http://127.0.0.1:9"
    response = client.get(PANEL_URL, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "does not answer" in response.content.decode()
