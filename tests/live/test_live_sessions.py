"""Starting, joining, pacing, taking each answer once, scoring, ranking and the histogram."""

import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from live import sessions
from live.models import LiveAnswer, LiveSession, Participant
from live.sessions import (
    answer_take,
    histogram,
    live_close,
    live_join,
    live_reveal,
    live_show,
    live_start,
    points_for,
    standings,
)


def test_start_refuses_no_questions_and_unknown_ids(classroom, instructor, questions):
    with pytest.raises(ValidationError, match=re.escape(sessions.NO_QUESTIONS)):
        live_start(classroom=classroom, host=instructor, title="x", question_ids=[])
    with pytest.raises(ValidationError, match="nope"):
        live_start(classroom=classroom, host=instructor, title="x",
                   question_ids=["live-q1", "nope"])
    assert not LiveSession.objects.exists()


def test_start_gives_a_six_digit_pin_in_the_lobby(live):
    assert len(live.pin) == 6 and live.pin.isdigit()
    assert live.phase == LiveSession.LOBBY and live.index == -1
    assert sessions.session_by_pin(pin=f" {live.pin[:3]} {live.pin[3:]} ") == live


def test_a_wrong_or_ended_pin_is_refused(live):
    with pytest.raises(ValidationError, match="No live quiz has the PIN"):
        sessions.session_by_pin(pin="000000" if live.pin != "000000" else "111111")
    sessions.live_end(session=live)
    with pytest.raises(ValidationError, match="No live quiz has the PIN"):
        sessions.session_by_pin(pin=live.pin)


def test_join_by_name_refuses_empty_long_and_taken_names(live):
    live_join(session=live, name="Ada")
    needed = re.escape(sessions.NAME_NEEDED)
    for name, message in [("", needed), ("x" * 31, needed), ("  ada ", "already called")]:
        with pytest.raises(ValidationError, match=message):
            live_join(session=live, name=name)
    assert list(live.participants.values_list("name", flat=True)) == ["Ada"]


def test_a_signed_in_student_joins_once_under_their_account(live, student):
    first = live_join(session=live, user=student, name="")
    again = live_join(session=live, user=student, name="Other")
    assert first == again and first.name == "sam" and first.user == student
    assert Participant.objects.filter(session=live).count() == 1


def test_a_signed_in_player_whose_name_a_guest_took_joins_by_username(live, make_user):
    make_user("kim", first_name="Ada", last_name="Byron")
    live_join(session=live, name="ada byron")
    kim = live_join(session=live, user=make_user("kim2", first_name="Ada", last_name="Byron"),
                    name="Anything")
    assert kim.name == "kim2"


def test_join_bumps_the_version_that_streams_watch(live):
    before = live.version
    live_join(session=live, name="Ada")
    live.refresh_from_db()
    assert live.version == before + 1


def test_pacing_moves_through_the_phases_and_refuses_steps_out_of_order(live):
    with pytest.raises(ValidationError, match=re.escape(sessions.OUT_OF_STEP)):
        live_close(session=live)
    live_show(session=live, countdown=20)
    assert (live.phase, live.index) == (LiveSession.QUESTION, 0)
    assert live.deadline - live.shown_at == timedelta(seconds=20)
    with pytest.raises(ValidationError, match=re.escape(sessions.OUT_OF_STEP)):
        live_show(session=live)  # a second click on "show" shows nothing new
    live_close(session=live)
    live_reveal(session=live)
    live_show(session=live)
    assert (live.phase, live.index, live.deadline) == (LiveSession.QUESTION, 1, None)


def test_a_stale_copy_of_the_session_cannot_move_it_again(live):
    stale = LiveSession.objects.get(pk=live.pk)
    live_show(session=live)
    stale.phase = LiveSession.LOBBY  # what the second of two clicks saw
    with pytest.raises(ValidationError, match=re.escape(sessions.OUT_OF_STEP)):
        live_show(session=stale)
    live.refresh_from_db()
    assert live.index == 0


@pytest.mark.parametrize("seconds", [0, 4, 301])
def test_a_countdown_out_of_range_is_refused(live, seconds):
    with pytest.raises(ValidationError, match=re.escape(sessions.BAD_COUNTDOWN)):
        live_show(session=live, countdown=seconds)
    live.refresh_from_db()
    assert live.phase == LiveSession.LOBBY


def test_an_answer_is_taken_once(live, questions, letters):
    ada = live_join(session=live, name="Ada")
    live_show(session=live)
    answer = answer_take(session=live, participant=ada, index=0,
                         letters=letters(questions[0], correct=True))
    assert answer.correct and answer.points > 500
    with pytest.raises(ValidationError, match=re.escape(sessions.ALREADY_ANSWERED)):
        answer_take(session=live, participant=ada, index=0,
                    letters=letters(questions[0], correct=False))
    assert LiveAnswer.objects.filter(participant=ada).count() == 1


def test_the_database_itself_refuses_a_second_answer(live):
    ada = live_join(session=live, name="Ada")
    fields = dict(session=live, participant=ada, index=0, chosen="0", correct=True, points=1,
                  elapsed_ms=1)
    LiveAnswer.objects.create(**fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveAnswer.objects.create(**fields)


def test_answers_are_refused_when_closed_for_another_question_and_empty(live, questions,
                                                                        letters):
    ada = live_join(session=live, name="Ada")
    right = letters(questions[0], correct=True)
    with pytest.raises(ValidationError, match=re.escape(sessions.NOT_ANSWERING)):
        answer_take(session=live, participant=ada, index=0, letters=right)  # the lobby
    live_show(session=live)
    with pytest.raises(ValidationError, match=re.escape(sessions.NOT_ANSWERING)):
        answer_take(session=live, participant=ada, index=1, letters=right)
    with pytest.raises(ValidationError, match=re.escape(sessions.NO_CHOICE)):
        answer_take(session=live, participant=ada, index=0, letters=["Z"])
    live_close(session=live)
    with pytest.raises(ValidationError, match=re.escape(sessions.NOT_ANSWERING)):
        answer_take(session=live, participant=ada, index=0, letters=right)
    assert not LiveAnswer.objects.exists()


def test_an_answer_after_the_countdown_is_refused(live, questions, letters):
    ada = live_join(session=live, name="Ada")
    live_show(session=live, countdown=10)
    late = live.deadline + sessions.DEADLINE_GRACE + timedelta(milliseconds=1)
    with pytest.raises(ValidationError, match=re.escape(sessions.TIME_UP)):
        answer_take(session=live, participant=ada, index=0,
                    letters=letters(questions[0], correct=True), now=late)
    on_time = answer_take(session=live, participant=ada, index=0, now=live.deadline,
                          letters=letters(questions[0], correct=True))
    assert on_time.points == 500  # at the end of the window


@pytest.mark.parametrize("correct, seconds, points", [
    (True, 0, 1000), (True, 10, 750), (True, 20, 500), (True, 60, 500), (True, -1, 1000),
    (False, 0, 0), (False, 10, 0)])
def test_points_for_correctness_and_speed(correct, seconds, points):
    assert points_for(correct=correct, elapsed=timedelta(seconds=seconds)) == points


def test_a_faster_right_answer_scores_more(live, questions, letters):
    ada, bob = live_join(session=live, name="Ada"), live_join(session=live, name="Bob")
    live_show(session=live)
    right = letters(questions[0], correct=True)
    fast = answer_take(session=live, participant=ada, index=0, letters=right,
                       now=live.shown_at + timedelta(seconds=2))
    slow = answer_take(session=live, participant=bob, index=0, letters=right,
                       now=live.shown_at + timedelta(seconds=12))
    assert fast.points == 950 and slow.points == 700


def test_a_multiple_response_answer_needs_every_right_option(live, questions, letters):
    ada, bob = live_join(session=live, name="Ada"), live_join(session=live, name="Bob")
    for _ in range(2):
        live_show(session=live)
        live_reveal(session=live)
    live_show(session=live)  # live-q3, two right options
    multi = questions[2]
    both = answer_take(session=live, participant=ada, index=2,
                       letters=letters(multi, correct=True))
    one = answer_take(session=live, participant=bob, index=2,
                      letters=letters(multi, correct=True)[:1])
    assert both.correct and not one.correct and one.points == 0


def test_standings_rank_by_points_ties_sharing_a_rank(live, questions, letters):
    players = [live_join(session=live, name=n) for n in ("Cy", "Ada", "Bob", "Dee")]
    live_show(session=live)
    at = live.shown_at
    right, wrong = letters(questions[0], correct=True), letters(questions[0], correct=False)
    for player, chosen, seconds in [(players[0], right, 2), (players[1], right, 4),
                                    (players[2], right, 4), (players[3], wrong, 1)]:
        answer_take(session=live, participant=player, index=0, letters=chosen,
                    now=at + timedelta(seconds=seconds))
    ranked = standings(session=live)
    assert [(s.rank, s.name, s.points, s.correct) for s in ranked] == [
        (1, "Cy", 950, 1), (2, "Ada", 900, 1), (2, "Bob", 900, 1), (4, "Dee", 0, 0)]


@pytest.mark.parametrize("rank, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"),
                                        (11, "11th"), (12, "12th"), (13, "13th"),
                                        (21, "21st"), (102, "102nd"), (111, "111th")])
def test_ordinals(rank, text):
    assert sessions.Standing(rank=rank, participant_id=1, name="x", points=0,
                             correct=0).ordinal == text


def test_the_histogram_counts_each_option_in_the_order_phones_showed(live, questions,
                                                                     letters):
    live_show(session=live)
    right, wrong = letters(questions[0], correct=True), letters(questions[0], correct=False)
    for n, chosen in enumerate([right, right, wrong]):
        answer_take(session=live, participant=live_join(session=live, name=f"p{n}"), index=0,
                    letters=chosen, now=timezone.now())
    bars = {b.letter: b for b in histogram(session=live, question=questions[0])}
    assert bars[right[0]].count == 2 and bars[right[0]].correct
    assert bars[right[0]].percent == 67 and "WHY-RIGHT" in bars[right[0]].why
    assert bars[wrong[0]].count == 1 and not bars[wrong[0]].correct
    assert sum(b.count for b in bars.values()) == 3 and len(bars) == 4


def test_a_class_may_ask_its_own_questions_and_no_other_class_may(
        classroom, instructor, other_instructor, questions):
    from quizzes.models import Question

    Question.everything.filter(bank_id="live-q2").update(classroom=classroom)  # the class's own
    mine = live_start(classroom=classroom, host=instructor, title="x",
                      question_ids=["live-q1", "live-q2"])
    live_show(session=mine)
    live_reveal(session=mine)
    live_show(session=mine)
    assert sessions.current_question(session=mine).bank_id == "live-q2"
    with pytest.raises(ValidationError, match="live-q2"):
        live_start(classroom=other_instructor.classrooms_taught.get(), host=other_instructor,
                   title="x", question_ids=["live-q2"])
