"""One live quiz in three browsers: the instructor at the projector, a signed-in student and a
guest on 360 px phones. The phones follow the instructor without reloading."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from classrooms.models import Submission
from live.models import LiveAnswer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WAIT = 20_000  # ms: a condition waited for, never a fixed pause
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def contexts(browser, live_server):
    """contexts(user=None, **options): a browser context of its own, signed in as `user`
    (a force_login's session cookie) or anonymous; all closed after the test."""
    made = []

    def make(user=None, **options):
        context = browser.new_context(locale="en-GB", **options)
        if user is not None:
            django_client = Client()
            django_client.force_login(user)
            context.add_cookies([{"name": "sessionid", "url": live_server.url,
                                  "value": django_client.cookies["sessionid"].value}])
        made.append(context)
        return context.new_page()
    yield make
    for context in made:
        context.close()


def _no_horizontal_scroll(page) -> bool:
    wider = page.evaluate("""() => [...document.querySelectorAll("body *")]
        .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
        .map(el => `${el.tagName}.${el.className}`)""")
    assert wider == [], f"wider than the {PHONE['width']} px phone: {wider}"
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_instructor_and_two_students_in_one_live_quiz(contexts, live_server, instructor,
                                                         classroom, student, questions,
                                                         letters):
    base = live_server.url
    teacher = contexts(instructor, viewport={"width": 1280, "height": 800})
    sam = contexts(student, viewport=PHONE, has_touch=True)
    guest = contexts(viewport=PHONE, has_touch=True)

    teacher.goto(f"{base}/live/class/{classroom.pk}/new/")
    teacher.get_by_label("Title").fill("Friday quiz")
    teacher.get_by_label("Question ids").fill("live-q1\nlive-q2")
    teacher.get_by_role("button", name="Open the lobby").click()
    pin = teacher.locator(".pin strong").inner_text().replace(" ", "")
    assert re.fullmatch(r"\d{6}", pin)
    expect(teacher.locator(".qr svg")).to_be_visible()

    sam.goto(f"{base}/live/join/{pin}/")  # the QR code's link
    sam.get_by_role("button", name="Join").click()
    expect(sam.get_by_role("heading", name="You're in")).to_be_visible()
    guest.goto(f"{base}/live/")
    guest.get_by_label("PIN").fill(pin)
    guest.get_by_label("Display name").fill("Gil")
    guest.get_by_label("Display name").press("Enter")
    expect(guest.get_by_role("heading", name="You're in")).to_be_visible()
    assert _no_horizontal_scroll(guest)
    expect(teacher.locator("#stage")).to_contain_text("2 joined", timeout=WAIT)

    for phone in (sam, guest):  # a page that reloads loses this
        phone.evaluate("window.stillTheSamePage = true")
    teacher.get_by_role("button", name="Show the first question").click()
    for phone in (sam, guest):
        expect(phone.get_by_role("heading", name="Question 1 of 2")).to_be_visible(
            timeout=WAIT)
        expect(phone.locator("#announce[aria-live=polite]")).to_have_text("Question 1 of 2")
    assert _no_horizontal_scroll(sam)

    right = letters(questions[0], correct=True)[0]
    wrong = letters(questions[0], correct=False)[0]
    # Sam by keyboard: onto the option, Space selects it, Tab to the button, Enter sends.
    sam.get_by_role("radio", name=re.compile(rf"^{right} ")).focus()
    sam.keyboard.press("Space")
    sam.keyboard.press("Tab")
    expect(sam.get_by_role("button", name="Send my answer")).to_be_focused()
    sam.keyboard.press("Enter")
    expect(sam.get_by_role("status")).to_have_text("Answer taken. Wait for the reveal.")
    guest.get_by_role("radio", name=re.compile(rf"^{wrong} ")).check()
    guest.get_by_role("button", name="Send my answer").click()
    expect(guest.get_by_role("status")).to_contain_text("Answer taken")
    expect(teacher.locator("#stage .status")).to_contain_text("2 of 2 answered", timeout=WAIT)
    assert LiveAnswer.objects.count() == 2

    # The instructor by keyboard: the main control keeps the focus as the stage changes.
    teacher.get_by_role("button", name="Close answers").focus()
    teacher.keyboard.press("Enter")
    expect(teacher.get_by_role("button", name="Reveal the answer")).to_be_focused()
    teacher.keyboard.press("Enter")
    histogram = teacher.get_by_role("list", name="How the room answered")
    expect(histogram.locator(f'[data-letter="{right}"]')).to_have_attribute("data-count", "1")
    expect(histogram.locator(f'[data-letter="{wrong}"]')).to_have_attribute("data-count", "1")
    expect(histogram).to_contain_text("WHY-RIGHT live-q1 1")
    expect(teacher.locator(".leaderboard li").first).to_contain_text("sam")
    expect(sam.get_by_role("status")).to_contain_text("You are 1st of 2", timeout=WAIT)
    expect(guest.get_by_role("status")).to_contain_text("You are 2nd of 2", timeout=WAIT)

    teacher.get_by_role("button", name="Show the next question").click()
    expect(guest.get_by_role("heading", name="Question 2 of 2")).to_be_visible(timeout=WAIT)
    teacher.get_by_role("button", name="End the quiz and save the results").click()
    expect(teacher.get_by_role("heading", name="The podium")).to_be_visible()
    expect(teacher.locator(".podium")).to_contain_text("sam")
    expect(sam.get_by_role("status")).to_contain_text("You finished 1st of 2", timeout=WAIT)
    expect(guest.get_by_role("heading", name="The end")).to_be_visible(timeout=WAIT)
    for phone in (sam, guest):
        assert phone.evaluate("window.stillTheSamePage") is True

    submission = Submission.objects.get(student=student)
    assert submission.score == 50.0  # right on question 1, nothing on question 2
    assert submission.assignment.title.startswith("Live quiz: Friday quiz")
