"""SQS: where the lab changes moto's queues.

`moto_patch.py`: moto's own synchronous delivery to Lambda is replaced by the lab's poller
(awslambda/event_source_mapping/sqs_poller.py), which also does redrive to dead-letter queues;
`redrive_policy.py`: a RedrivePolicy naming a missing dead-letter queue is refused as SQS
refuses it, with nothing applied. Queues, messages, visibility and FIFO are moto's.
"""
