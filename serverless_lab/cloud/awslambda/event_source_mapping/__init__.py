"""Event source mappings: Lambda's pollers for SQS, Kinesis and DynamoDB Streams.

As on AWS (and as LocalStack lays it out under `services/lambda_/event_source_mapping/`), a
mapping reads its source in batches and invokes its function synchronously: SQS with
batching windows, visibility timeouts, partial batch failures and redrive; streams in order
per shard with bisecting, retries, record age, on-failure destinations, parallelization and
tumbling windows. The moto side of each source (what moto would otherwise deliver itself)
is in `sqs/moto_patch.py` and `kinesis/moto_patch.py`.
"""
