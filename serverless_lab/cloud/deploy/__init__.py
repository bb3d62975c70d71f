"""Deploying a SAM folder into a learner's account, as `sam build` and `sam deploy` would.

`sam.py` reads, packages and translates templates offline; `prepared.py` does that once per
template content for every account; `stack.py` creates the stack with moto's CloudFormation
and rolls a failed deploy back; one module per resource type the lab creates where moto's
CloudFormation stops: `rest_apis.py` (a RestApi's Body), `apis.py` (Cognito user pools, HTTP
APIs, REST authorizers, CORS and stage settings), `websocket_apis.py`, `lambda_aliases.py`
(AWS::Lambda::Alias) and `delivery_streams.py` (AWS::KinesisFirehose::DeliveryStream);
`intrinsics.py` resolves Ref, Fn::GetAtt and Fn::Sub in what the lab applies itself.
"""
