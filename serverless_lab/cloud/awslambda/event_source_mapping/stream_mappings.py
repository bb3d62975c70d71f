"""Every Kinesis and DynamoDB Streams mapping's pollers (stream_poller.py): started when a
mapping is created or enabled, one per shard and lane, stopped when it is deleted or disabled,
woken when their stream gets records or their sandbox's clock moves, and checkpoints kept
across a change of ParallelizationFactor."""

import json
import threading
import time

from serverless_lab.cloud import trace

from .sqs_poller import _enabled
from .stream_events import (
    s3_failure_key,
    with_payload,
)
from .stream_poller import ShardPoller
from .stream_records import SOURCES, is_stream_mapping, parallelization


# -- every stream mapping's pollers ---------------------------------------------------------
class StreamMappings:
    """The pollers of every Kinesis and DynamoDB Streams mapping in the lab cloud."""

    def __init__(self, *, invoke, recorder: trace.Recorder, deliver, sandbox):
        self.invoke = invoke  # (moto LambdaFunction, event JSON) -> Invocation
        self.deliver = deliver  # (account, region, target_arn, document, attributes)
        self.sandbox = sandbox  # account id -> Sandbox with service credentials (for S3)
        self.recorder = recorder
        self.checkpoints: dict[tuple[str, str], int] = {}  # (mapping, shard) -> sequence no.
        # (mapping, shard, factor, lane) -> sequence no., with ParallelizationFactor above 1
        self.lane_checkpoints: dict[tuple[str, str, int, int], int] = {}
        # (mapping, parent shard) -> the pollers of its children, waiting for it to be read
        self.waiting_on: dict[tuple[str, str], set] = {}
        self.clock = None  # the lab clock (tumbling windows); real time until use_clock
        self._lock = threading.Lock()
        self._pollers: dict[tuple[str, str, int], ShardPoller] = {}
        self._by_source: dict[str, set[ShardPoller]] = {}
        self._by_account: dict[str, set[ShardPoller]] = {}
        recorder.add_busy_check(self.busy)

    def use_clock(self, clock) -> None:
        """Run tumbling windows on the sandboxes' lab clock; an advance wakes the pollers."""
        self.clock = clock
        clock.move_listeners.append(self.clock_moved)

    def now(self, account_id: str) -> float:
        return self.clock.now(account_id) if self.clock else time.time()

    def offset(self, account_id: str) -> float:
        return self.clock.offset(account_id) if self.clock else 0.0

    def clock_moved(self, account_id: str) -> None:
        """The sandbox's clock was advanced: its pollers see whether a window is over."""
        with self._lock:
            pollers = list(self._by_account.get(account_id, ()))
        for poller in pollers:
            poller.wake.set()

    def mapping_changed(self, esm) -> None:
        """Created, updated, enabled or disabled: start or stop its shards' pollers."""
        if not is_stream_mapping(esm):
            return
        with self._lock:
            stopped = []
            for poller in [p for p in self._pollers.values() if p.uuid == esm.uuid]:
                if (not _enabled(esm) or poller.source_arn != esm.event_source_arn
                        or poller.lanes != parallelization(esm)):
                    self._drop(poller)
                    stopped.append(poller)
                else:
                    poller.wake.set()  # BatchSize, window or filters changed: re-read them
            if _enabled(esm):
                self._start_shards(esm, after=stopped)

    def _start_shards(self, esm, *, found_later: bool = False, after=()) -> None:
        source = SOURCES[esm.event_source_arn.split(":")[2]]
        lanes = parallelization(esm)
        for shard_id, shard in source.shards(esm.account_id, esm.region,
                                             esm.event_source_arn).items():
            # The starting position counts once, when the mapping is created; a disabled
            # mapping enabled again resumes from its checkpoint, and a shard that appears
            # later (a reshard) is read from its beginning.
            self.checkpoints.setdefault(
                (esm.uuid, shard_id),
                source.horizon(shard) if found_later else source.start(shard, esm))
            for lane in range(lanes):
                if (esm.uuid, shard_id, lane) in self._pollers:
                    continue
                poller = ShardPoller(self, esm.account_id, esm.region, esm.uuid,
                                     esm.event_source_arn, shard_id, lane=lane, lanes=lanes,
                                     after=[p for p in after if p.shard_id == shard_id])
                self._pollers[poller.key] = poller
                self._by_source.setdefault(poller.source_arn, set()).add(poller)
                self._by_account.setdefault(poller.account_id, set()).add(poller)
                poller.start()

    def mapping_deleted(self, uuid: str) -> None:
        with self._lock:
            for poller in [p for p in self._pollers.values() if p.uuid == uuid]:
                self._drop(poller)
            for key in [k for k in self.checkpoints if k[0] == uuid]:
                del self.checkpoints[key]
            for key in [k for k in self.lane_checkpoints if k[0] == uuid]:
                del self.lane_checkpoints[key]
            for key in [k for k in self.waiting_on if k[0] == uuid]:
                del self.waiting_on[key]

    def records_added(self, source_arn: str) -> None:
        """A stream got records: wake its pollers (and start any for a new shard)."""
        with self._lock:
            pollers = list(self._by_source.get(source_arn, ()))
        for poller in pollers:
            poller.wake.set()
        if pollers:
            esm = pollers[0].live()[0]
            if esm is not None:
                with self._lock:
                    self._start_shards(esm, found_later=True)

    def busy(self, account_id: str) -> bool:
        """A shard of the account has records its mapping has not finished with."""
        with self._lock:
            pollers = list(self._by_account.get(account_id, ()))
        return any(p.busy() for p in pollers)

    def send(self, esm, target: str, record: dict, event: dict, *, shard_id: str,
             request_id: str) -> None:
        """Deliver an on-failure record to SQS or SNS, or (with the batch) to S3."""
        service = target.split(":")[2]
        if service == "s3":
            key = s3_failure_key(mapping_uuid=esm.uuid, shard_id=shard_id,
                                 request_id=request_id)
            self.sandbox(esm.account_id).client("s3").put_object(
                Bucket=target.split(":")[-1], Key=key, Body=with_payload(record, event).encode(),
                ContentType="application/json")
            return
        self.deliver(esm.account_id, esm.region, target, json.dumps(record), None)

    def forget(self, poller: ShardPoller) -> None:
        """A poller that saw its mapping gone or disabled has stopped."""
        with self._lock:
            if self._pollers.get(poller.key) is not poller:
                return
            self._drop(poller)
        esm, _ = poller.live()
        if esm is not None:  # enabled again while it was stopping: start afresh
            self.mapping_changed(esm)

    def _drop(self, poller: ShardPoller) -> None:
        poller.stop()
        self._pollers.pop(poller.key, None)
        self._by_source.get(poller.source_arn, set()).discard(poller)
        self._by_account.get(poller.account_id, set()).discard(poller)

    def stop(self) -> None:
        if self.clock and self.clock_moved in self.clock.move_listeners:
            self.clock.move_listeners.remove(self.clock_moved)
        with self._lock:
            for poller in list(self._pollers.values()):
                self._drop(poller)
