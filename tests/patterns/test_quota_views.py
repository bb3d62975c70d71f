"""A run refused by the sandbox's quota (issue 11) says so where the learner pressed Run."""

import pytest
from django.urls import reverse

from patterns.lab import learner_for_user

pytestmark = pytest.mark.django_db
RUN_URL = reverse("patterns:run", args=["rest-api"])


def test_a_run_over_the_functions_quota_shows_lambdas_error_and_deploys_nothing(
        client, django_user_model, lab, lab_cloud, request):
    user = django_user_model.objects.create_user("quota-learner", password="x-Pass-12345")
    client.force_login(user)
    learner = learner_for_user(user)
    lab.settings(learner, quotas={"functions": 1})  # rest-api has three
    # The sandbox is forgotten after, quota and all: user ids come back in later tests.
    request.addfinalizer(lambda: lab.reset(learner, forget=True))
    html = client.post(RUN_URL, {"scenario": "create-then-get"}, HTTP_HX_REQUEST="true"
                       ).content.decode()
    assert "CodeStorageExceededException: Code storage limit exceeded." in html
    assert "the lab&#x27;s quota: 1 functions per sandbox" in html
    assert "REPORT RequestId:" not in html  # nothing ran
    sandbox = lab_cloud.accounts.sandbox(learner)
    assert sandbox.client("lambda").list_functions()["Functions"] == []
    assert sandbox.client("cloudformation").list_stacks()["StackSummaries"] == []
