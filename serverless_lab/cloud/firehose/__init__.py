"""Amazon Data Firehose to S3 in the learner's account.

`delivery.py` (buffering by size and interval on the lab clock, AWS's object keys, GZIP,
Kinesis sources), `config.py` (what CreateDeliveryStream accepts), `transform.py` (Lambda data
transformation and processing-failed documents), `moto_patch.py` (where moto's Firehose is
wrapped). Left out: format conversion, dynamic partitioning, source record backup and
destinations other than S3.
"""
