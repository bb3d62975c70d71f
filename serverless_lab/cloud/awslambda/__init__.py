"""Lambda: the runtime that runs learners' handlers, and the Lambda API around it.

- `runtime/`: execution environments forked from a pre-warmed parent (Init, warm reuse, idle
  reaping, timeouts, memory limits, crashes, CloudWatch Logs, REPORT lines).
- `moto_patch.py`: every change the lab makes to moto's Lambda (the one replaced private
  method `LambdaFunction._invoke_lambda`, and the wrapped alias, permission and provisioned
  concurrency calls), each naming the contract test that guards it.
- `invoke_api.py` (RequestResponse, Event, DryRun as AWS answers them), `async_invoke.py`
  (the asynchronous queue, retries, on-failure destinations and dead-letter queues),
  `provisioned.py` (provisioned concurrency), `alias_routing.py` (weighted aliases),
  `recursion.py` (recursive loop detection), `build.py` (`sam build` from requirements.txt).
- `event_source_mapping/`: the pollers that read SQS, Kinesis and DynamoDB Streams and invoke
  functions in batches (`sqs_poller.py`, `stream_poller.py` and what it is made of), the
  event shapes they send (`sqs_events.py`, `stream_events.py`) and event filtering
  (`filters.py`).

Left out: container images, runtimes other than Python, SnapStart,
Lambda URLs, enhanced fan-out consumers, records expiring with a stream's retention.
"""
