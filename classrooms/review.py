"""Staff looking at one student's work, read-only, and resetting their sandbox; both logged
where the student sees them."""

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from django.http import Http404

from patterns.lab import lab_client, learner_for_user
from serverless_lab.cloud.client import LabCloudError

from .checks import StudentSandbox
from .grading import submission_latest
from .models import Assignment, Membership, Submission, ViewLog


@dataclass
class ResourceState:
    logical_id: str
    type: str
    physical_id: str
    detail: str


def student_of_class(*, assignment: Assignment, student_id: int):
    membership = Membership.objects.filter(classroom=assignment.classroom, user_id=student_id,
                                           role=Membership.STUDENT).select_related("user").first()
    if membership is None:
        raise Http404("No such student in this class")
    return membership.user


def sandbox_state(*, student, stack: str) -> list[ResourceState] | str:
    """The student's stack, resource by resource, with item and message counts; or why not."""
    try:
        sandbox = StudentSandbox(found=lab_client().sandbox(learner_for_user(student)),
                                 stack=stack)
        resources = sandbox.client("cloudformation").describe_stack_resources(
            StackName=stack)["StackResources"]
        states = []
        for r in resources:
            detail = ""
            if r["ResourceType"] == "AWS::DynamoDB::Table":
                count = sandbox.client("dynamodb").scan(
                    TableName=r["PhysicalResourceId"], Select="COUNT")["Count"]
                detail = f"{count} item(s)"
            elif r["ResourceType"] == "AWS::SQS::Queue":
                attributes = sandbox.client("sqs").get_queue_attributes(
                    QueueUrl=r["PhysicalResourceId"],
                    AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
                detail = f"{attributes['ApproximateNumberOfMessages']} message(s)"
            states.append(ResourceState(r["LogicalResourceId"], r["ResourceType"],
                                        r.get("PhysicalResourceId", ""), detail))
        return states
    except (ClientError, BotoCoreError, LabCloudError) as e:
        return f"The sandbox has no {stack} stack to show ({type(e).__name__})."


def work_view(*, viewer, assignment: Assignment, student) -> Submission | None:
    """The student's latest submission, the view logged for the student to see."""
    ViewLog.objects.create(viewer=viewer, student=student, assignment=assignment)
    return submission_latest(assignment=assignment, student=student)


def sandbox_reset(*, actor, assignment: Assignment, student) -> None:
    """Empty the student's sandbox; logged, and the student told on their class page."""
    lab_client().reset(learner_for_user(student))
    ViewLog.objects.create(viewer=actor, student=student, assignment=assignment,
                           action=ViewLog.RESET)
