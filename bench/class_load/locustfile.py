"""A class of learners (issue 13): each arrives, signs up or stays anonymous, opens the REST
API pattern, runs `create-then-get`, answers a few practice questions with think time, runs
again, and goes round again until the test ends.

Request names are the actions the summary reports: `page`, `run`, `run: first, anonymous`,
`quiz answer`, `sign up`. Run it through run.py (headless, JSON summary)."""

import os
import random
import re
import uuid

from locust import HttpUser, SequentialTaskSet, between, task

PATTERN = "/patterns/rest-api/"
SCENARIO = "create-then-get"
PRACTICE = "/quizzes/practice/"
SIGN_UP = "/accounts/signup/"
SIGNED_IN_SHARE = float(os.environ.get("CLASS_SIGNED_IN_SHARE", "0.5"))
QUESTIONS_PER_ROUND = 3
THINK_SECONDS = (float(os.environ.get("CLASS_THINK_MIN", "3")),
                 float(os.environ.get("CLASS_THINK_MAX", "8")))
CHOOSE_WORDS = {"two": 2, "three": 3, "four": 4}

CSRF_HEADER = re.compile(r'"X-CSRFToken": "([^"]+)"')
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWER_FORM = re.compile(r'hx-post="(/quizzes/practice/q/[^"]+/answer/[^"]*)"')
OPTION = re.compile(r'name="answer"\s+id="option-\w+" value="(\w+)"')
CHOOSE = re.compile(r'class="choose">\s*Choose (\w+)', re.IGNORECASE)


class Lesson(SequentialTaskSet):
    """One round: the pattern page, a run, practice questions, a run again."""

    @task
    def open_pattern(self):
        with self.client.get(PATTERN, name="page", catch_response=True) as response:
            token = CSRF_HEADER.search(response.text or "")
            if response.status_code != 200 or not token:
                return response.failure(f"pattern page: {response.status_code}")
            self.user.csrf = token.group(1)

    @task
    def run_scenario(self):
        self.user.run_pattern()

    @task
    def practice(self):
        for _ in range(QUESTIONS_PER_ROUND):
            self.user.answer_question()
            self.wait()

    @task
    def run_again(self):
        self.user.run_pattern()


class Learner(HttpUser):
    wait_time = between(*THINK_SECONDS)
    tasks = [Lesson]

    def on_start(self):
        self.csrf = ""
        self.runs = 0
        self.anonymous = random.random() >= SIGNED_IN_SHARE
        if not self.anonymous:
            self.sign_up()

    def sign_up(self):
        page = self.client.get(SIGN_UP, name="page")
        token = CSRF_FIELD.search(page.text or "")
        password = uuid.uuid4().hex + "Aa1!"
        with self.client.post(SIGN_UP, name="sign up", catch_response=True, data={
                "csrfmiddlewaretoken": token.group(1) if token else "",
                "username": f"load-{uuid.uuid4().hex[:12]}",
                "password1": password, "password2": password}) as response:
            # A successful sign-up redirects away from the form.
            if response.status_code != 200 or response.url.rstrip("/").endswith("signup"):
                response.failure(f"sign up: {response.status_code}")

    def run_pattern(self):
        name = "run: first, anonymous" if self.anonymous and self.runs == 0 else "run"
        self.runs += 1
        with self.client.post(f"{PATTERN}run/", name=name, catch_response=True,
                              data={"scenario": SCENARIO},
                              headers={"X-CSRFToken": self.csrf, "HX-Request": "true",
                                       "Referer": self.host + PATTERN}) as response:
            body = response.text or ""
            if response.status_code != 200:
                response.failure(f"run: {response.status_code}")
            elif 'class="badge ok">passed' not in body:
                error = re.search(r'class="error" role="alert"><p>([^<]*)', body)
                response.failure("run not passed: " + (error.group(1) if error else body[:200]))

    def answer_question(self):
        page = self.client.get(PRACTICE, name="page")
        text = page.text or ""
        form, token = ANSWER_FORM.search(text), CSRF_FIELD.search(text)
        options = OPTION.findall(text)
        if not (form and token and options):
            return  # nothing left to practise: the page itself was measured
        self.wait()  # reading the question
        choose = CHOOSE.search(text)
        count = CHOOSE_WORDS.get(choose.group(1).lower(), 1) if choose else 1
        with self.client.post(form.group(1).replace("&amp;", "&"), name="quiz answer",
                              catch_response=True,
                              data={"csrfmiddlewaretoken": token.group(1), "mode": "practice",
                                    "answer": random.sample(options, min(count, len(options)))},
                              headers={"HX-Request": "true",
                                       "Referer": self.host + PRACTICE}) as response:
            if response.status_code != 200 or 'class="error"' in (response.text or ""):
                response.failure(f"quiz answer: {response.status_code}")
