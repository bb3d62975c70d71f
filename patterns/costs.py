"""What a run would cost on AWS: its trace priced at the us-east-1 on-demand prices of
content/aws_numbers.yaml, and that bill projected to a month of runs, before and after the
always-free tier.

Plain functions over the trace JSON (run_trace.py); money is Decimal, so the figures are the
ones a learner would get by hand. What the trace cannot tell (the size of an item a read
returned, the empty receives of a queue's long polling) is counted as the note on the line says.
"""

import base64
import json
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from serverless_lab.aws_numbers import figure

DAYS_PER_MONTH = 30
RUNS_PER_DAY_DEFAULT = 1000
RUNS_PER_DAY_MAX = 100_000_000
CHUNK_64KB = 64 * 1024  # SQS, SNS and EventBridge bill each 64 KB of a payload as one request
FIREHOSE_RECORD_STEP = 5 * 1024  # each Firehose record is rounded up to the next 5 KB
GB = 1024 ** 3
HTTP_API_ROUTE = re.compile(r"^(\$default|[A-Z]+ /.*)$")  # HTTP APIs match route keys
S3_FREE = re.compile(r"^(Delete|Abort)")
S3_PUT_TIER = re.compile(r"^(Put|Copy|Post|List|Create|Upload|Complete)")
DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
DYNAMODB_READS = {"GetItem", "Query", "Scan"}


@dataclass(frozen=True)
class Charge:
    """One line of the bill: `quantity` units at `price` USD per `per` units."""

    service: str
    item: str
    quantity: Decimal
    unit: str
    price_ref: str  # the content/aws_numbers.yaml figure of the price
    per: int = 1_000_000
    free_ref: str | None = None  # the figure of the monthly always-free allowance, if any
    note: str = ""

    @property
    def price(self) -> Decimal:
        return Decimal(str(figure(self.price_ref).value))

    @property
    def cost(self) -> Decimal:
        return self.quantity * self.price / self.per

    @property
    def source(self) -> str:
        return figure(self.price_ref).source

    @property
    def as_of(self) -> str:
        return figure(self.price_ref).as_of

    @property
    def price_display(self) -> str:
        return figure(self.price_ref).display


@dataclass
class ServiceBill:
    service: str
    charges: list[Charge]

    @property
    def cost(self) -> Decimal:
        return sum((c.cost for c in self.charges), Decimal(0))


@dataclass
class RunCost:
    charges: list[Charge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def services(self) -> list[ServiceBill]:
        found: dict[str, list[Charge]] = {}
        for charge in self.charges:
            found.setdefault(charge.service, []).append(charge)
        return [ServiceBill(service, charges) for service, charges in found.items()]

    @property
    def total(self) -> Decimal:
        return sum((c.cost for c in self.charges), Decimal(0))


@dataclass(frozen=True)
class ProjectedCharge:
    charge: Charge
    quantity: Decimal  # a month's worth
    free: Decimal  # of which the free tier covers
    before: Decimal  # USD, before the free tier
    after: Decimal  # USD, after it


@dataclass
class Projection:
    runs_per_day: int
    days: int
    lines: list[ProjectedCharge]

    @property
    def before(self) -> Decimal:
        return sum((line.before for line in self.lines), Decimal(0))

    @property
    def after(self) -> Decimal:
        return sum((line.after for line in self.lines), Decimal(0))


class _Tally:
    """Quantities summed per (service, item), in the order first met."""

    def __init__(self):
        self.lines: dict[tuple[str, str], dict] = {}

    def add(self, service: str, item: str, quantity, *, unit: str, price_ref: str,
            per: int = 1_000_000, free_ref: str | None = None, note: str = "") -> None:
        line = self.lines.setdefault((service, item), {
            "service": service, "item": item, "quantity": Decimal(0), "unit": unit,
            "price_ref": price_ref, "per": per, "free_ref": free_ref, "note": note})
        line["quantity"] += Decimal(quantity)

    def charges(self) -> list[Charge]:
        return [Charge(**line) for line in self.lines.values() if line["quantity"]]


def run_cost(*, run: dict) -> RunCost:
    """The AWS bill of one run (the trace JSON): every billable hop in its steps' events."""
    tally, notes = _Tally(), set()
    for step in run.get("steps", []):
        for event in step.get("events", []):
            counter = COUNTERS.get(event.get("type"))
            if counter:
                counter(event, tally, notes)
    return RunCost(charges=tally.charges(), notes=sorted(notes))


def cost_projection(*, cost: RunCost, runs_per_day: int,
                    days: int = DAYS_PER_MONTH) -> Projection:
    """A month of `runs_per_day` runs like this one: each line's quantity, what it costs, and
    what is left to pay once the always-free allowance (shared by the lines naming it) is used."""
    if not 0 <= runs_per_day <= RUNS_PER_DAY_MAX:
        raise ValueError(f"runs a day must be between 0 and {RUNS_PER_DAY_MAX:,}")
    left: dict[str, Decimal] = {}
    lines = []
    for charge in cost.charges:
        quantity = charge.quantity * runs_per_day * days
        free = Decimal(0)
        if charge.free_ref:
            left.setdefault(charge.free_ref, Decimal(str(figure(charge.free_ref).value)))
            free = min(quantity, left[charge.free_ref])
            left[charge.free_ref] -= free
        lines.append(ProjectedCharge(
            charge=charge, quantity=quantity, free=free,
            before=quantity * charge.price / charge.per,
            after=(quantity - free) * charge.price / charge.per))
    return Projection(runs_per_day=runs_per_day, days=days, lines=lines)


def usd(amount: Decimal) -> str:
    """Money as a bill would show it: cents for sums of a dollar or more, else three
    significant digits, so a run's millionths of a dollar show ($0.00000181)."""
    if amount == 0:
        return "$0.00"
    places = 2 if amount >= 1 else 2 - amount.adjusted()
    return f"${amount.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,f}"


# --- counting, one function per trace event type -------------------------------------------

def _invocation(event, tally, notes):
    provisioned = event.get("initialization_type") == "provisioned-concurrency"
    tally.add("Lambda", "Requests", 1, unit="requests", price_ref="lambda.price_requests",
              free_ref="lambda.free_requests")
    gb_seconds = (Decimal(str(event.get("billed_duration_ms") or 0)) / 1000
                  * Decimal(str(event.get("memory_size_mb") or 128)) / 1024)
    if provisioned:
        tally.add("Lambda", "Duration on provisioned concurrency", gb_seconds,
                  unit="GB-seconds", per=1,
                  price_ref="lambda.price_provisioned_duration_gb_second_x86",
                  note="plus the provisioned concurrency itself, billed for as long as it is "
                       "configured")
    else:
        tally.add("Lambda", "Duration", gb_seconds, unit="GB-seconds", per=1,
                  price_ref="lambda.price_gb_second_x86", free_ref="lambda.free_gb_seconds",
                  note="Billed Duration × memory, at the x86 price")


def _http(event, tally, notes):
    if HTTP_API_ROUTE.match(str(event.get("resource") or "")):
        tally.add("API Gateway", "HTTP API requests", 1, unit="requests",
                  price_ref="api_gateway.price_http_per_million",
                  note="each 512 KB of a request counts as one")
    else:
        tally.add("API Gateway", "REST API requests", 1, unit="requests",
                  price_ref="api_gateway.price_rest_per_million")
    notes.add("API Gateway's free tier lasts only a new account's first 12 months: "
              "it is left out.")


def _delivery(event, tally, notes):
    source, mode = str(event.get("source", "")), event.get("mode")
    if source == "aws:sqs" and mode == "poll":
        # Lambda's poller receives the batch and deletes what succeeded: two SQS requests.
        size = len(json.dumps(event.get("event", {})).encode())
        fifo = str(event.get("queue", "")).endswith(".fifo")
        _sqs_requests(tally, fifo, max(1, math.ceil(size / CHUNK_64KB)) + 1)
        notes.add("A Lambda function's SQS poller also makes empty long-poll receives "
                  "while the queue is idle; the lab does not count them.")
    elif source == "aws:scheduler":
        tally.add("EventBridge", "Scheduler invocations", 1, unit="invocations",
                  price_ref="eventbridge.scheduler_price_per_million",
                  free_ref="eventbridge.scheduler_free_per_month")
    elif source == "aws:events" and event.get("scheduled_time"):
        notes.add("A scheduled EventBridge rule's events are not charged.")
    elif source.startswith("apigateway-ws:"):
        tally.add("API Gateway", "WebSocket messages", 1, unit="messages",
                  price_ref="api_gateway.price_websocket_messages",
                  note="plus connection minutes, not counted here")


def _execution(event, tally, notes):
    if str(event.get("event", "")).endswith("StateEntered"):
        tally.add("Step Functions", "State transitions", 1, unit="transitions", per=1000,
                  price_ref="step_functions.price_standard_per_1000_transitions",
                  free_ref="step_functions.free_transitions", note="Standard workflows")


def _api_call(event, tally, notes):
    counter = API_CALLS.get(event.get("service"))
    if counter:
        counter(str(event.get("operation", "")), _request(event), tally, notes)


def _request(event) -> dict:
    found = event.get("request")
    if isinstance(found, str):  # form fields the wire did not parse, or shortened
        try:
            found = json.loads(found)
        except json.JSONDecodeError:
            return {"_size": len(found.encode())}
    return found if isinstance(found, dict) else {}


def _sqs_requests(tally, fifo: bool, count: int) -> None:
    kind = "FIFO" if fifo else "standard"
    tally.add("SQS", f"Requests ({kind} queues)", count, unit="requests",
              price_ref=f"sqs.price_{'fifo' if fifo else 'standard'}_per_million",
              free_ref="sqs.free_requests", note="each 64 KB of a payload is one request")


def _sqs(operation, request, tally, notes):
    queue = str(request.get("QueueUrl", ""))
    if operation == "SendMessageBatch":
        size = sum(_size(e.get("MessageBody", "")) + _size(e.get("MessageAttributes") or {})
                   for e in request.get("Entries") or [] if isinstance(e, dict))
    else:
        size = _size(request.get("MessageBody", "")) + _size(request.get("MessageAttributes")
                                                              or {})
    size = request.get("_size", size)
    _sqs_requests(tally, queue.endswith(".fifo"), max(1, math.ceil(size / CHUNK_64KB)))


def _sns(operation, request, tally, notes):
    size = request.get("_size", _size(request.get("Message", "")))
    tally.add("SNS", "Requests", max(1, math.ceil(size / CHUNK_64KB)), unit="requests",
              price_ref="sns.price_publish_per_million", free_ref="sns.free_requests",
              note="deliveries to Lambda and SQS are free")


def _events(operation, request, tally, notes):
    if operation != "PutEvents":
        return
    entries = [e for e in request.get("Entries") or [] if isinstance(e, dict)]
    count = sum(max(1, math.ceil(_size(e) / CHUNK_64KB)) for e in entries) or 1
    tally.add("EventBridge", "Custom events", count, unit="events",
              price_ref="eventbridge.price_custom_events_per_million",
              note="each 64 KB of an entry is one event")


def _s3(operation, request, tally, notes):
    if S3_FREE.match(operation):
        return
    if S3_PUT_TIER.match(operation):
        tally.add("S3", "PUT, COPY, POST, LIST requests", 1, unit="requests", per=1000,
                  price_ref="s3.price_put_per_1000")
    else:
        tally.add("S3", "GET and other requests", 1, unit="requests", per=1000,
                  price_ref="s3.price_get_per_1000")
    notes.add("S3 storage is billed per GB-month and is not in a run's cost.")


def _firehose(operation, request, tally, notes):
    if operation == "PutRecord":
        records = [request.get("Record") or {}]
    elif operation == "PutRecordBatch":
        records = request.get("Records") or []
    else:
        return
    billed = sum(math.ceil(max(1, _data_size(r)) / FIREHOSE_RECORD_STEP) * FIREHOSE_RECORD_STEP
                 for r in records if isinstance(r, dict))
    tally.add("Data Firehose", "Ingestion", Decimal(billed) / GB, unit="GB", per=1,
              price_ref="firehose.price_ingestion_per_gb",
              note="each record rounded up to the next 5 KB")


def _data_size(record: dict) -> int:
    data = record.get("Data", "")
    try:
        return len(base64.b64decode(data, validate=True))
    except (ValueError, TypeError):
        return _size(data)


def _dynamodb(operation, request, tally, notes):
    if "_size" in request:
        items = [("write" if operation in DYNAMODB_WRITES else "read", request["_size"], 1)]
    else:
        items = list(_dynamodb_items(operation, request))
    for kind, size, factor in items:
        if kind == "write":
            units = Decimal(max(1, math.ceil(size / 1024)) * factor)
            tally.add("DynamoDB", "Write request units", units, unit="WRU",
                      price_ref="dynamodb.price_on_demand_write_per_million",
                      note="one per 1 KB of the item written")
        else:
            units = Decimal(max(1, math.ceil(size / 4096))) * factor
            tally.add("DynamoDB", "Read request units", units, unit="RRU",
                      price_ref="dynamodb.price_on_demand_read_per_million",
                      note="one per 4 KB read (½ eventually consistent)")
    if any(kind == "read" for kind, _, _ in items):
        notes.add("A read's item size is not in the trace: each read is counted as one "
                  "item of up to 4 KB.")


def _dynamodb_items(operation, request):
    """(read or write, bytes, units per 1 KB or 4 KB) of each item the call touches."""
    consistent = Decimal(1) if request.get("ConsistentRead") else Decimal("0.5")
    if operation == "PutItem":
        yield "write", item_size(request.get("Item") or {}), 1
    elif operation == "UpdateItem":
        written = {**(request.get("Key") or {}),
                   **(request.get("ExpressionAttributeValues") or {})}
        yield "write", item_size(written), 1
    elif operation == "DeleteItem":
        yield "write", item_size(request.get("Key") or {}), 1
    elif operation == "BatchWriteItem":
        for requests in (request.get("RequestItems") or {}).values():
            for one in requests:
                put, delete = one.get("PutRequest"), one.get("DeleteRequest")
                yield "write", item_size((put or {}).get("Item") or
                                         (delete or {}).get("Key") or {}), 1
    elif operation == "TransactWriteItems":
        for one in request.get("TransactItems") or []:
            body = next(iter(one.values()), {}) if isinstance(one, dict) else {}
            yield "write", item_size(body.get("Item") or body.get("Key") or {}), 2
    elif operation in DYNAMODB_READS:
        yield "read", 0, consistent
    elif operation == "BatchGetItem":
        for table in (request.get("RequestItems") or {}).values():
            for _key in table.get("Keys") or []:
                yield "read", 0, Decimal(1) if table.get("ConsistentRead") else Decimal("0.5")
    elif operation == "TransactGetItems":
        for _one in request.get("TransactItems") or []:
            yield "read", 0, Decimal(2)


def item_size(item: dict) -> int:
    """A DynamoDB item's size in bytes (its attributes in the wire's typed JSON), as AWS's
    "Item sizes and formats" counts it: names plus values, numbers one byte per two
    significant digits plus one, lists and maps 3 bytes plus one per element."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value) -> int:
    if not isinstance(value, dict) or len(value) != 1:
        return _size(value)
    kind, inner = next(iter(value.items()))
    if kind == "S":
        return len(str(inner).encode())
    if kind == "N":
        return _number_size(str(inner))
    if kind == "B":
        return len(base64.b64decode(inner)) if isinstance(inner, str) else len(inner)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(s.encode()) for s in inner)
    if kind == "NS":
        return sum(_number_size(n) for n in inner)
    if kind == "BS":
        return sum(len(base64.b64decode(b)) for b in inner)
    if kind == "L":
        return 3 + sum(_value_size(v) + 1 for v in inner)
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_size(v) + 1 for k, v in inner.items())
    return _size(inner)


def _number_size(text: str) -> int:
    digits = re.sub(r"[^0-9]", "", text.split("e")[0].split("E")[0]).strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def _size(value) -> int:
    if isinstance(value, str):
        return len(value.encode())
    return len(json.dumps(value, separators=(",", ":")).encode()) if value else 0


API_CALLS = {"sqs": _sqs, "sns": _sns, "events": _events, "s3": _s3,
             "firehose": _firehose, "dynamodb": _dynamodb}
COUNTERS = {"invocation": _invocation, "http": _http, "delivery": _delivery,
            "execution": _execution, "api_call": _api_call}
