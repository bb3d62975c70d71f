"""Kinesis Data Streams and DynamoDB Streams: the moto side of the stream pollers.

`moto_patch.py` hands each write to the lab's stream poller
(awslambda/event_source_mapping/stream_poller.py) instead of moto's one-record-per-invoke
delivery, keeps DynamoDB stream sequence numbers unique, and makes resharding behave as on AWS
(writes to open shards only, parents keep their records, children start empty).
"""
