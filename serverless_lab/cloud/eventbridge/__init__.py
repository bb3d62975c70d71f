"""EventBridge and EventBridge Scheduler in the learner's account.

- `plane.py`: rules matched and delivered asynchronously to Lambda, SQS, SNS, Step Functions,
  other buses and log groups; `moto_patch.py`: where moto's EventBridge and Scheduler are
  wrapped (delivery, PutRule's checks, schedules registered with the lab clock);
- `patterns.py` (event patterns checked and matched as AWS's event-ruler does),
  `target_input.py` (Input, InputPath, InputTransformer), `delivery.py` (retries, RetryPolicy
  and target dead-letter queues), `schedules.py` and `schedule_expressions.py` (cron, rate
  and at() on the lab clock).

Left out: archives and replays, API destinations, pipes, schema registry, cross-account and
cross-Region targets.
"""
