"""Pattern runs and downloads answer only for patterns that exist, and runs only to POST."""

import pytest

pytestmark = pytest.mark.django_db


def test_running_or_downloading_an_unknown_pattern_is_not_found(client):
    assert client.post("/patterns/no-such-thing/run/", {"scenario": "x"}).status_code == 404
    assert client.get("/patterns/no-such-thing/download/").status_code == 404


def test_a_run_is_post_only(client):
    assert client.get("/patterns/rest-api/run/").status_code == 405
    assert client.post("/patterns/rest-api/download/").status_code == 405
