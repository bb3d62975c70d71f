"""The pages, who may see them, and their bad input."""

import pytest
from django.urls import reverse

from live.models import LiveAnswer, LiveSession, Participant
from live.sessions import live_join, live_reveal, live_show
from live.views import SESSION_KEY

HX = {"HTTP_HX_REQUEST": "true"}


def url(name, *args):
    return reverse(f"live:{name}", args=args)


# --- starting (staff of the class) -------------------------------------------------------

def test_start_asks_anonymous_visitors_to_log_in(client, classroom):
    response = client.get(url("start", classroom.pk))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["student", "other_instructor"])
def test_start_is_not_found_for_a_student_or_another_class_instructor(client, classroom,
                                                                      questions, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url("start", classroom.pk)).status_code == 404
    assert client.post(url("start", classroom.pk), {"ids": "live-q1", "limit": 5}
                       ).status_code == 404
    assert not LiveSession.objects.exists()


def test_the_class_page_links_staff_to_live_quizzes_running_and_new(client, instructor,
                                                                    classroom, live):
    client.force_login(instructor)
    page = client.get(reverse("classrooms:detail", args=[classroom.pk])).content.decode()
    assert url("start", classroom.pk) in page
    start = client.get(url("start", classroom.pk)).content.decode()
    assert url("host", live.pk) in start and f"PIN {live.pin}" in start


def test_the_class_page_does_not_link_students_to_start_one(client, student, classroom):
    client.force_login(student)
    page = client.get(reverse("classrooms:detail", args=[classroom.pk])).content.decode()
    assert url("start", classroom.pk) not in page


def test_instructor_starts_a_session_from_question_ids(client, instructor, classroom,
                                                        questions):
    client.force_login(instructor)
    response = client.post(url("start", classroom.pk),
                           {"title": "Friday", "ids": "live-q2, live-q1", "limit": 10})
    session = LiveSession.objects.get()
    assert response.status_code == 302 and response["Location"] == url("host", session.pk)
    assert session.question_ids == ["live-q2", "live-q1"] and session.host == instructor


def test_instructor_starts_a_session_from_a_topic(client, instructor, classroom, questions):
    client.force_login(instructor)
    client.post(url("start", classroom.pk), {"pattern": "rest-api", "limit": 2})
    assert len(LiveSession.objects.get().question_ids) == 2


@pytest.mark.parametrize("data, message", [
    ({"ids": "live-q1 no-such-q", "limit": 5}, "No question with the id(s): no-such-q."),
    ({"limit": 5}, "Give question ids, or a pattern or a domain."),
    ({"pattern": "no-such-pattern", "limit": 5}, "A live quiz needs at least one question."),
    ({"ids": "live-q1", "limit": 0}, "greater than or equal to 1"),
])
def test_start_with_bad_input_says_why_and_starts_nothing(client, instructor, classroom,
                                                          questions, data, message):
    client.force_login(instructor)
    response = client.post(url("start", classroom.pk), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LiveSession.objects.exists()


# --- the projector and pacing (staff of the class) ---------------------------------------

def test_the_projector_shows_the_pin_and_a_qr_code_of_the_join_link(client, instructor, live):
    client.force_login(instructor)
    html = client.get(url("host", live.pk)).content.decode()
    assert f"{live.pin[:3]} {live.pin[3:]}" in html
    assert f"http://testserver/live/join/{live.pin}/" in html
    assert "<svg" in html and "QR code of the join link" in html
    assert "Show the first question" in html


@pytest.mark.parametrize("who", ["student", "other_instructor"])
def test_the_projector_and_pacing_are_not_found_for_others(client, live, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url("host", live.pk)).status_code == 404
    response = client.post(url("pace", live.pk), {"action": "show", "index": -1})
    assert response.status_code == 404
    live.refresh_from_db()
    assert live.phase == LiveSession.LOBBY


def test_a_ta_of_the_class_may_run_the_quiz(client, live, make_user):
    from classrooms.services import ta_add

    make_user("tariq")
    ta_add(classroom=live.classroom, username="tariq")
    client.force_login(live.classroom.memberships.get(user__username="tariq").user)
    assert client.get(url("host", live.pk)).status_code == 200
    client.post(url("pace", live.pk), {"action": "show", "index": -1})
    live.refresh_from_db()
    assert live.phase == LiveSession.QUESTION


def test_anonymous_visitors_are_sent_to_log_in_for_the_projector(client, live):
    assert client.get(url("host", live.pk)).status_code == 302
    assert client.post(url("pace", live.pk), {"action": "show", "index": -1}).status_code == 302


def test_the_instructor_paces_by_htmx_and_gets_the_stage(client, instructor, live):
    client.force_login(instructor)
    response = client.post(url("pace", live.pk), {"action": "show", "index": -1,
                                                  "countdown": "20"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<section id="stage"')
    assert "Question 1 of 3" in html and "data-deadline" in html
    assert "WHY-" not in html  # nothing of the answer before the reveal
    live.refresh_from_db()
    assert live.phase == LiveSession.QUESTION


def test_pacing_without_htmx_redirects_to_the_projector(client, instructor, live):
    client.force_login(instructor)
    response = client.post(url("pace", live.pk), {"action": "show", "index": -1})
    assert response.status_code == 302 and response["Location"] == url("host", live.pk)


def test_after_a_pacing_post_without_htmx_the_main_control_has_the_focus(client, instructor,
                                                                          live):
    # A native form post (no JavaScript, or before htmx took the form) reloads the projector:
    # the next step's button is focused, so the keyboard goes on where it was.
    client.force_login(instructor)
    response = client.post(url("pace", live.pk), {"action": "show", "index": -1}, follow=True)
    html = response.content.decode()
    assert '<button id="pace-primary" autofocus name="action" value="close">' in html
    assert html.count("autofocus") == 1
    # A swap by htmx keeps the focus where the person had it (htmx restores it by id).
    swapped = client.get(url("host", live.pk), **HX).content.decode()
    assert "Close answers" in swapped and "autofocus" not in swapped


@pytest.mark.parametrize("data, message", [
    ({"action": "explode", "index": -1}, "That is not a step of the quiz"),
    ({"action": "show", "index": 4}, "The quiz has moved on"),
    ({"action": "close", "index": -1}, "The quiz has moved on"),
    ({"action": "show", "index": -1, "countdown": "2"}, "That is not a step of the quiz"),
])
def test_pacing_with_bad_input_says_why_and_changes_nothing(client, instructor, live, data,
                                                            message):
    client.force_login(instructor)
    response = client.post(url("pace", live.pk), data, **HX)
    assert response.status_code == 200 and message in response.content.decode()
    assert client.post(url("pace", live.pk), data).status_code == 400
    live.refresh_from_db()
    assert live.phase == LiveSession.LOBBY


def test_the_projector_poll_is_empty_until_something_changes(client, instructor, live):
    client.force_login(instructor)
    version = live.version
    poll = f"{url('host', live.pk)}?v={version}&n=0"
    assert client.get(poll, **HX).status_code == 204
    live_join(session=live, name="Ada")
    response = client.get(poll, **HX)
    assert response.status_code == 200 and "1</span> joined" in response.content.decode()


def test_after_the_reveal_the_projector_shows_histogram_explanations_and_top_five(
        client, instructor, live, questions, letters):
    from live.sessions import answer_take

    live_show(session=live)
    for n in range(7):
        answer_take(session=live, participant=live_join(session=live, name=f"p{n}"), index=0,
                    letters=letters(questions[0], correct=n < 5))
    live_reveal(session=live)
    client.force_login(instructor)
    html = client.get(url("host", live.pk)).content.decode()
    right = letters(questions[0], correct=True)[0]
    assert f'data-letter="{right}" data-count="5"' in html
    assert "WHY-RIGHT live-q1 1" in html and "WHY-WRONG live-q1 2" in html
    assert html.count('<li><span class="rank">') == 5  # the top five


# --- joining and playing ------------------------------------------------------------------

def test_the_join_link_fills_in_the_pin(client, live):
    html = client.get(url("join_pin", live.pin)).content.decode()
    assert f'value="{live.pin}"' in html


def test_an_anonymous_player_joins_by_name_and_plays(client, live):
    response = client.post(url("join"), {"pin": live.pin, "name": "Ada"})
    assert response.status_code == 302 and response["Location"] == url("play", live.pk)
    participant = Participant.objects.get(session=live)
    assert client.session[SESSION_KEY] == {str(live.pk): participant.pk}
    assert "playing as <strong>Ada</strong>" in client.get(url("play", live.pk)).content.decode()


def test_a_signed_in_student_joins_under_their_account(client, live, student):
    client.force_login(student)
    client.post(url("join"), {"pin": live.pin, "name": "Not my name"})
    participant = Participant.objects.get(session=live)
    assert participant.user == student and participant.name == "sam"
    assert client.session.get(SESSION_KEY) is None


@pytest.mark.parametrize("data, message", [
    ({"pin": "999999x", "name": "Ada"}, "No live quiz has the PIN"),
    ({"pin": "", "name": "Ada"}, "This field is required"),
    ({"pin": "PIN", "name": ""}, "Choose a display name"),
])
def test_joining_with_bad_input_says_why(client, live, data, message):
    data = {**data, "pin": data["pin"].replace("PIN", live.pin)}
    response = client.post(url("join"), data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not Participant.objects.exists()


def test_a_taken_name_is_refused(client, live):
    live_join(session=live, name="Ada")
    response = client.post(url("join"), {"pin": live.pin, "name": "ADA"})
    assert response.status_code == 400 and "already called" in response.content.decode()


def test_the_phone_page_sends_someone_who_has_not_joined_to_the_join_form(client, live,
                                                                          other_instructor):
    assert client.get(url("play", live.pk))["Location"] == url("join_pin", live.pin)
    client.force_login(other_instructor)
    assert client.get(url("play", live.pk))["Location"] == url("join_pin", live.pin)


def test_someone_who_has_not_joined_cannot_answer(client, live, questions, letters):
    live_show(session=live)
    response = client.post(url("answer", live.pk),
                           {"index": 0, "answer": letters(questions[0], correct=True)})
    assert response.status_code == 404 and not LiveAnswer.objects.exists()


def test_one_players_session_does_not_answer_for_another(client, live, questions, letters):
    live_join(session=live, name="Ada")
    live_show(session=live)
    client.post(url("join"), {"pin": live.pin, "name": "Bob"})
    client.post(url("answer", live.pk), {"index": 0, "answer": letters(questions[0],
                                                                        correct=True)})
    assert list(LiveAnswer.objects.values_list("participant__name", flat=True)) == ["Bob"]


def test_a_player_answers_once_by_htmx(client, live, questions, letters):
    client.post(url("join"), {"pin": live.pin, "name": "Ada"})
    live_show(session=live)
    question_html = client.get(url("play", live.pk)).content.decode()
    assert "Send my answer" in question_html and "WHY-" not in question_html
    right = letters(questions[0], correct=True)
    response = client.post(url("answer", live.pk), {"index": 0, "answer": right}, **HX)
    assert "Answer taken" in response.content.decode()
    again = client.post(url("answer", live.pk), {"index": 0, "answer": right}, **HX)
    assert "You have already answered this question." in again.content.decode()
    assert LiveAnswer.objects.count() == 1


@pytest.mark.parametrize("data, message", [
    ({"index": 0}, "Choose an answer first."),
    ({"index": 1, "answer": "A"}, "That question is closed."),
    ({"index": "x", "answer": "A"}, "That question is closed."),
])
def test_a_bad_answer_says_why_on_the_phone(client, live, data, message):
    client.post(url("join"), {"pin": live.pin, "name": "Ada"})
    live_show(session=live)
    response = client.post(url("answer", live.pk), data, **HX)
    assert response.status_code == 200 and message in response.content.decode()
    assert client.post(url("answer", live.pk), data).status_code == 400
    assert not LiveAnswer.objects.exists()


def test_after_the_reveal_the_phone_shows_its_own_rank(client, live, questions, letters):
    client.post(url("join"), {"pin": live.pin, "name": "Ada"})
    ada = Participant.objects.get(name="Ada")
    from live.sessions import answer_take

    live_show(session=live)
    bob = live_join(session=live, name="Bob")
    answer_take(session=live, participant=bob, index=0,
                letters=letters(questions[0], correct=True))
    answer_take(session=live, participant=ada, index=0,
                letters=letters(questions[0], correct=False))
    live_reveal(session=live)
    html = client.get(url("play", live.pk)).content.decode()
    assert "Not this time." in html and "2nd of 2" in html and "WHY-RIGHT live-q1 1" in html


def test_the_phone_poll_is_empty_until_the_phase_changes(client, live):
    client.post(url("join"), {"pin": live.pin, "name": "Ada"})
    live.refresh_from_db()
    poll = f"{url('play', live.pk)}?v={live.version}"
    assert client.get(poll, **HX).status_code == 204
    live_show(session=live)
    response = client.get(poll, **HX)
    assert response.status_code == 200 and "Question 1 of 3" in response.content.decode()
    # what a screen reader is told, out of band: the region itself is replaced whole
    assert ('<span id="announce" hx-swap-oob="innerHTML">Question 1 of 3</span>'
            in response.content.decode())


# --- the event stream's door (the stream itself: test_live_stream.py) ----------------------

def test_the_event_stream_is_not_found_for_strangers(client, live, other_instructor):
    assert client.get(url("events", live.pk)).status_code == 404
    client.force_login(other_instructor)
    assert client.get(url("events", live.pk)).status_code == 404


def test_under_wsgi_the_event_stream_says_no_content_so_pages_poll(client, instructor, live):
    client.force_login(instructor)
    assert client.get(url("events", live.pk)).status_code == 204
    html = client.get(url("host", live.pk)).content.decode()
    assert "sse-connect" not in html and 'hx-trigger="every 1s"' in html
