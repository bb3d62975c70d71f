"""Accounts at Django's usual paths: sign in, sign up, sign out, and where each goes next."""

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.shortcuts import resolve_url

pytestmark = pytest.mark.django_db
WRONG_PASSWORD = "Please enter a correct username and password."


@pytest.fixture
def ada(db):
    return User.objects.create_user("ada", password="a-long-passphrase-1")


def signed_in_user(client):
    return client.session.get("_auth_user_id")


def test_the_paths_and_login_url(client):
    assert resolve_url(settings.LOGIN_URL) == "/accounts/login/"
    for path in ("/accounts/login/", "/accounts/signup/"):
        response = client.get(path)
        assert response.status_code == 200
        assert f'<form method="post" action="{path}">' in response.content.decode()


def test_signing_in_goes_home_and_the_header_says_who(client, ada):
    response = client.post("/accounts/login/", {"username": "ada",
                                                "password": "a-long-passphrase-1"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) == str(ada.pk)
    page = client.get("/").content.decode()
    assert "Signed in as ada" in page
    assert 'action="/accounts/logout/"' in page and 'href="/accounts/login/' not in page


def test_a_wrong_password_is_refused_with_a_clear_error(client, ada):
    response = client.post("/accounts/login/", {"username": "ada", "password": "not-it"})
    assert response.status_code == 200
    assert WRONG_PASSWORD in response.content.decode()
    assert 'value="ada"' in response.content.decode()  # the username is kept, not the password
    assert signed_in_user(client) is None


@pytest.mark.parametrize("fields, field, message", [
    ({"username": "", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
     "username", "This field is required."),
    ({"username": "bad name!", "password1": "a-long-passphrase-1",
      "password2": "a-long-passphrase-1"},
     "username", "Enter a valid username."),
    ({"username": "bo", "password1": "a-long-passphrase-1", "password2": "another-passphrase"},
     "password2", "The two password fields didn’t match."),
    ({"username": "bo", "password1": "", "password2": ""}, "password1", "This field is required."),
    ({"username": "ada", "password1": "a-long-passphrase-1", "password2": "a-long-passphrase-1"},
     "username", "A user with that username already exists."),
])
def test_sign_up_with_bad_input_shows_the_field_error_and_creates_no_one(client, ada, fields,
                                                                         field, message):
    response = client.post("/accounts/signup/", fields)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="id_{field}_error"' in html and message in html.replace("&#x27;", "'")
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]
    assert signed_in_user(client) is None


def test_signing_up_creates_the_account_and_signs_in(client):
    response = client.post("/accounts/signup/", {"username": "cy", "password1": "a-long-pass-9x",
                                                 "password2": "a-long-pass-9x"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) == str(User.objects.get(username="cy").pk)


def test_logout_is_post_only(client, ada):
    client.force_login(ada)
    assert client.get("/accounts/logout/").status_code == 405
    assert signed_in_user(client) == str(ada.pk)  # a GET (a link, an image) signs no one out
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_user(client) is None


@pytest.mark.parametrize("next_url, lands_on", [
    ("/quizzes/progress/", "/quizzes/progress/"),
    ("/patterns/rest-api/?scenario=handler-error", "/patterns/rest-api/?scenario=handler-error"),
    ("https://evil.example/steal", "/"),
    ("//evil.example/steal", "/"),
    ("http://testserver/quizzes/", "http://testserver/quizzes/"),  # this host, spelt out
    ("javascript:alert(1)", "/"),
])
def test_next_is_honoured_only_for_this_site(client, ada, next_url, lands_on):
    login = client.post("/accounts/login/", {"username": "ada", "password": "a-long-passphrase-1",
                                             "next": next_url})
    assert login["Location"] == lands_on
    client.logout()
    signup = client.post(f"/accounts/signup/?next={next_url}",
                         {"username": "zed", "password1": "a-long-pass-9x",
                          "password2": "a-long-pass-9x"})
    assert signup["Location"] == lands_on
    logout = client.post("/accounts/logout/", {"next": next_url})
    assert logout["Location"] == lands_on


def test_the_login_page_keeps_next_for_the_form_and_the_sign_up_link(client):
    html = client.get("/accounts/login/?next=/quizzes/progress/").content.decode()
    assert '<input type="hidden" name="next" value="/quizzes/progress/">' in html
    assert 'href="/accounts/signup/?next=/quizzes/progress/"' in html
    evil = client.get("/accounts/login/?next=https://evil.example/").content.decode()
    assert "evil.example" not in evil
