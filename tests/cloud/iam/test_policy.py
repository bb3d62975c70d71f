"""Identity-policy evaluation (serverless_lab/cloud/iam/policy.py) on its own."""

import json

import pytest

from serverless_lab.cloud.iam.policy import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    decide,
    statements_of,
)

TABLE = "arn:aws:dynamodb:us-east-1:912345678901:table/Orders"


def _decide(*statements, action="dynamodb:PutItem", resource=TABLE) -> str:
    document = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return decide(statements_of(document), action, resource)


@pytest.mark.parametrize(("statement", "expected"), [
    ({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE}, ALLOW),
    ({"Effect": "Allow", "Action": "DynamoDB:putitem", "Resource": TABLE}, ALLOW),
    ({"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}, ALLOW),
    ({"Effect": "Allow", "Action": "dynamodb:Put?tem", "Resource": TABLE}, ALLOW),
    ({"Effect": "Allow", "Action": ["s3:*", "dynamodb:P*"],
      "Resource": "arn:aws:dynamodb:*:*:table/*"}, ALLOW),
    ({"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": TABLE}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE + "-old"},
     IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "dynamodb:PutItem",
      "Resource": "arn:aws:dynamodb:us-east-1:912345678901:table/orders"}, IMPLICIT_DENY),
    ({"Effect": "Allow", "NotAction": "dynamodb:DeleteItem", "Resource": "*"}, ALLOW),
    ({"Effect": "Allow", "NotAction": "dynamodb:Put*", "Resource": "*"}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "*", "NotResource": TABLE}, IMPLICIT_DENY),
    ({"Effect": "Allow", "Action": "*", "NotResource": TABLE + "/index/*"}, ALLOW),
    ({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE,
      "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}, ALLOW),
    ({"Effect": "Allow", "Action": {"Fn::Sub": "unresolved"}, "Resource": TABLE}, ALLOW),
    ({"Effect": "Maybe", "Action": "*", "Resource": "*"}, IMPLICIT_DENY),
])
def test_one_statement(statement, expected):
    assert _decide(statement) == expected


ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}


@pytest.mark.parametrize(("deny", "expected"), [
    ({"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": TABLE}, EXPLICIT_DENY),
    ({"Effect": "Deny", "Action": "dynamodb:*", "Resource": "*"}, EXPLICIT_DENY),
    ({"Effect": "Deny", "NotAction": "dynamodb:GetItem", "Resource": "*"}, EXPLICIT_DENY),
    ({"Effect": "Deny", "Action": "dynamodb:GetItem", "Resource": "*"}, ALLOW),
    ({"Effect": "Deny", "Action": "*", "NotResource": TABLE}, ALLOW),
    # The lab cannot evaluate conditions: a conditional Deny is ignored, never over-applied.
    ({"Effect": "Deny", "Action": "*", "Resource": "*",
      "Condition": {"Bool": {"aws:SecureTransport": "false"}}}, ALLOW),
    ({"Effect": "Deny", "Action": {"Ref": "unresolved"}, "Resource": "*"}, ALLOW),
])
def test_an_explicit_deny_wins_over_any_allow(deny, expected):
    assert _decide(ALLOW_ALL, deny) == expected
    assert _decide(deny, ALLOW_ALL) == expected


@pytest.mark.parametrize("document", ["{not json", "[]", '{"Statement": "x"}', "null"])
def test_a_document_that_is_not_a_policy_allows_nothing(document):
    assert decide(statements_of(document), "dynamodb:PutItem", TABLE) == IMPLICIT_DENY


def test_a_parsed_document_and_a_single_statement_object_are_read():
    document = {"Statement": {"Effect": "Allow", "Action": "sqs:SendMessage",
                              "Resource": "arn:aws:sqs:us-east-1:912345678901:q"}}

    statements = statements_of(document)

    assert decide(statements, "sqs:sendmessage", "arn:aws:sqs:us-east-1:912345678901:q") == ALLOW
    assert decide(statements, "sqs:SendMessage", "arn:aws:sqs:us-east-1:912345678901:r") == \
        IMPLICIT_DENY
