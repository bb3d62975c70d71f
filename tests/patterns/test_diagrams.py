"""Architecture diagrams: each function's, state machine's or service's IAM role drawn as a box
around it, with what the role's policies allow, and the same said in the text alternative."""

import textwrap

import pytest
from django.urls import reverse

from patterns.catalog import CATALOG_DIR, catalog
from patterns.diagrams import diagram_from_template

PATTERNS = list(catalog().values())


def _diagram(name):
    return diagram_from_template(CATALOG_DIR / name)


def test_each_function_sits_in_its_execution_role_with_what_the_role_allows():
    diagram = _diagram("rest-api")
    mermaid = diagram.mermaid()
    box = 'subgraph role_CreateUploadFunctionRole_compute["IAM role CreateUploadFunctionRole"]'
    assert box in mermaid
    inside = mermaid.split(box, 1)[1].split("    end", 1)[0]
    assert 'CreateUploadFunction["CreateUploadFunction<br/>Lambda"]' in inside
    assert ("allows:<br/>write CloudWatch Logs (AWSLambdaBasicExecutionRole)<br/>"
            "read OrdersTable (DynamoDBReadPolicy)<br/>"
            "s3:PutObject on AttachmentsBucket/attachments/*") in inside
    assert "style role_CreateUploadFunctionRole_compute stroke-dasharray: 5 4" in mermaid
    # A node is drawn once: inside its role's box, not again loose in its layer.
    assert mermaid.count('CreateOrderFunction["') == 1


def test_the_text_alternative_says_the_same_as_the_role_boxes():
    sentences = _diagram("rest-api").role_sentences()
    assert ("CreateUploadFunction (Lambda) acts with the IAM role CreateUploadFunctionRole "
            "(SAM makes for it), which allows: write CloudWatch Logs "
            "(AWSLambdaBasicExecutionRole); read OrdersTable (DynamoDBReadPolicy); "
            "s3:PutObject on AttachmentsBucket/attachments/*.") in sentences
    assert len(sentences) == 3  # one per function


def test_policy_templates_resolve_to_the_resource_they_name_even_by_its_name():
    diagram = _diagram("event-processing")
    # S3ReadPolicy names the uploads bucket by the same !Sub name the bucket is given.
    assert any(e.source == "ThumbnailFunction" and e.target == "UploadsBucket"
               and e.label == "read (IAM role)" for e in diagram.edges)
    role = next(r for r in diagram.roles if r.role == "ThumbnailFunctionRole")
    assert role.allows == [
        "write CloudWatch Logs (AWSLambdaBasicExecutionRole)",
        "read UploadsBucket (S3ReadPolicy)", "write ProcessedBucket (S3WritePolicy)",
        "write FilesTable (DynamoDBWritePolicy)",
        "publish to FileEventsTopic (SNSPublishMessagePolicy)",
        "sqs:SendMessage FailedUploadsQueue (failed async invocations)"]


def test_a_poller_role_says_its_managed_policy_reaches_every_queue():
    role = next(r for r in _diagram("async-queue").roles if r.role == "ProcessOrderFunctionRole")
    assert "poll any SQS queue (AWSLambdaSQSQueueExecutionRole)" in role.allows


def test_state_machine_firehose_and_declared_roles(tmp_path):
    (tmp_path / "template.yaml").write_text(textwrap.dedent("""\
        Transform: AWS::Serverless-2016-10-31
        Resources:
          Stream:
            Type: AWS::Kinesis::Stream
            Properties: {ShardCount: 1}
          Archive:
            Type: AWS::S3::Bucket
          DeliveryRole:
            Type: AWS::IAM::Role
            Properties:
              AssumeRolePolicyDocument:
                Statement:
                  - Effect: Allow
                    Principal: {Service: firehose.amazonaws.com}
                    Action: sts:AssumeRole
              Policies:
                - PolicyName: deliver
                  PolicyDocument:
                    Statement:
                      - Effect: Allow
                        Action: [kinesis:GetRecords, kinesis:GetShardIterator]
                        Resource: !GetAtt Stream.Arn
                      - {Effect: Allow, Action: s3:PutObject, Resource: !Sub "${Archive.Arn}/*"}
          Delivery:
            Type: AWS::KinesisFirehose::DeliveryStream
            Properties:
              DeliveryStreamType: KinesisStreamAsSource
              KinesisStreamSourceConfiguration:
                KinesisStreamARN: !GetAtt Stream.Arn
                RoleARN: !GetAtt DeliveryRole.Arn
              ExtendedS3DestinationConfiguration:
                BucketARN: !GetAtt Archive.Arn
                RoleARN: !GetAtt DeliveryRole.Arn
          Step:
            Type: AWS::Serverless::Function
            Properties:
              Runtime: python3.12
              Handler: app.handler
              InlineCode: "def handler(e, c): pass"
          Flow:
            Type: AWS::Serverless::StateMachine
            Properties:
              Definition: {StartAt: A, States: {A: {Type: Succeed}}}
              Policies:
                - LambdaInvokePolicy: {FunctionName: !Ref Step}
        """))
    diagram = diagram_from_template(tmp_path)
    roles = {r.role: r for r in diagram.roles}
    assert roles["DeliveryRole"].members == ["Delivery"]
    assert roles["DeliveryRole"].allows == [
        "kinesis:GetRecords, GetShardIterator on Stream", "s3:PutObject on Archive/*"]
    assert roles["FlowRole"].allows == ["invoke Step (LambdaInvokePolicy)"]
    assert "subgraph role_DeliveryRole_integration" in diagram.mermaid()
    assert ("Delivery (Data Firehose) acts with the IAM role DeliveryRole (assumed by Data "
            "Firehose), which allows: kinesis:GetRecords, GetShardIterator on Stream; "
            "s3:PutObject on Archive/*.") in diagram.role_sentences()


@pytest.mark.parametrize("pattern", PATTERNS, ids=lambda p: p.slug)
def test_role_boxes_are_the_roles_sam_deploys(pattern):
    """Drift test: the boxes name exactly the IAM roles the SAM translation creates, with the
    managed policies SAM attaches to each."""
    from serverless_lab.cloud.deploy.sam import package_functions, template_read, translate
    from serverless_lab.cloud.stepfunctions.execution import inline_definition_uris

    packaged, _ = package_functions(template_read(pattern.folder), pattern.folder,
                                    upload=lambda key, data: f"s3://lab/{key}")
    translated = translate(inline_definition_uris(packaged, pattern.folder), region="us-east-1")
    deployed = {logical: resource["Properties"] for logical, resource
                in translated["Resources"].items() if resource["Type"] == "AWS::IAM::Role"}
    roles = {r.role: r for r in diagram_from_template(pattern.folder).roles}
    assert roles.keys() == deployed.keys()
    for name, properties in deployed.items():
        managed = {arn.rsplit("/", 1)[-1] for arn in properties.get("ManagedPolicyArns", [])}
        named = {grant.rsplit("(", 1)[-1].rstrip(")") for grant in roles[name].allows}
        assert managed <= named, name


@pytest.mark.django_db
def test_the_page_lists_the_roles_in_the_diagram_text(client):
    page = client.get(reverse("patterns:detail", args=["event-processing"])).content.decode()
    assert "IAM role ThumbnailFunctionRole" in page
    assert ("ThumbnailFunction (Lambda) acts with the IAM role ThumbnailFunctionRole (SAM "
            "makes for it), which allows: ") in page
