"""`manage.py lti`: what an LMS admin's registration needs, and key rotation."""

import pytest
from django.core.management import CommandError, call_command
from lti_tool.models import Key, LtiDeployment, LtiRegistration

REGISTER = ["lti", "register", "--name", "Moodle", "--issuer", "https://moodle.example.edu",
            "--client-id", "abc123", "--auth-url", "https://moodle.example.edu/mod/lti/auth.php",
            "--token-url", "https://moodle.example.edu/mod/lti/token.php",
            "--keyset-url", "https://moodle.example.edu/mod/lti/certs.php",
            "--site", "https://lab.example.edu"]


def test_register_stores_the_lms_and_prints_the_tool_urls(db, capsys):
    call_command(*REGISTER, "--deployment", "1", "--deployment", "7")
    out = capsys.readouterr().out
    registration = LtiRegistration.objects.get()
    assert (registration.issuer, registration.client_id) == ("https://moodle.example.edu",
                                                             "abc123")
    assert set(registration.deployments.filter(is_active=True)
               .values_list("deployment_id", flat=True)) == {"1", "7"}
    assert Key.objects.active().count() == 1  # a signing key for the JWKS
    for line in ["Login initiation URL: https://lab.example.edu/lti/login/",
                 "Redirect (launch) URL: https://lab.example.edu/lti/launch/",
                 "Public keyset (JWKS) URL: https://lab.example.edu/lti/jwks.json"]:
        assert line in out


def test_register_again_updates_and_keeps_the_key(db):
    call_command(*REGISTER)
    call_command(*REGISTER[:3], "Moodle 5", *REGISTER[4:])
    assert LtiRegistration.objects.get().name == "Moodle 5"
    assert Key.objects.count() == 1


def test_a_bad_url_is_refused_and_nothing_stored(db):
    bad = [*REGISTER]
    bad[bad.index("--keyset-url") + 1] = "not a url"
    with pytest.raises(CommandError, match="Not a URL: 'not a url'"):
        call_command(*bad)
    assert not LtiRegistration.objects.exists() and not Key.objects.exists()


def test_deployments_are_added_and_removed(db):
    call_command(*REGISTER)
    call_command("lti", "deployment", "https://moodle.example.edu", "abc123", "42")
    assert LtiDeployment.objects.get(deployment_id="42").is_active
    call_command("lti", "deployment", "https://moodle.example.edu", "abc123", "42", "--remove")
    assert not LtiDeployment.objects.get(deployment_id="42").is_active


def test_a_deployment_needs_a_registration(db):
    with pytest.raises(CommandError, match="run `lti register` first"):
        call_command("lti", "deployment", "https://nowhere.example", "x", "1")
    assert not LtiDeployment.objects.exists()


def test_rotating_keys_publishes_the_new_key_beside_the_old(db, client):
    call_command(*REGISTER)
    old = str(Key.objects.get())
    call_command("rotate_keys")
    kids = [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
    assert old in kids and len(kids) == 2
    call_command("rotate_keys", "--deactivate-after", "0")
    assert old not in [k["kid"] for k in client.get("/lti/jwks.json").json()["keys"]]
