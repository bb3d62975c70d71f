"""The orchestration pattern's page: the diagram from the state machine, and a run whose trace
shows the workflow's state transitions beside the invocations."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_page_draws_the_state_machine_and_cites_its_figures(client):
    page = client.get(reverse("patterns:detail", args=["orchestration"])).content.decode()
    assert ("From OrderWorkflow (Step Functions) to ChargeCardFunction (Lambda), synchronous: "
            "invoke (IAM role).") in page
    assert "$0.025 per 1,000 state transitions" in page
    assert "25,000 events" in page and "256 KiB" in page


def test_compensation_run_shows_the_state_transitions(client, lab_cloud):
    html = client.post(reverse("patterns:run", args=["orchestration"]),
                       {"scenario": "compensation"}, HTTP_HX_REQUEST="true").content.decode()
    assert "passed" in html
    assert "<code>TaskStateEntered</code> <strong>ShipOrder</strong>" in html
    assert '<span class="badge bad">WarehouseUnavailable</span>' in html
    assert "<code>TaskStateEntered</code> <strong>RefundPayment</strong>" in html
    assert "<code>ExecutionFailed</code>" in html and "OrderCancelled" in html
