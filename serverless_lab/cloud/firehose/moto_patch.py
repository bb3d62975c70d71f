"""Where the lab changes moto's Firehose: `FirehoseBackend.create_delivery_stream` (checked as
Firehose checks it, then handed to the lab's Firehose), `delete_delivery_stream`, and
`put_record_batch` (records buffered and delivered as Firehose does instead of one S3 object
per call). Guarded by `signatures_match()` in tests/cloud/test_moto_contract.py and by
tests/cloud/firehose/.
"""

import base64
import inspect

from moto.firehose.exceptions import InvalidArgumentException, ResourceNotFoundException
from moto.firehose.models import FirehoseBackend

from . import transform
from .config import (
    NOT_PERMITTED_ON_KINESIS_SOURCE,
    checked_config,
    destination_of,
)
from .delivery import Firehose
from .transform import Arrival

ORIGINAL = {"create": FirehoseBackend.create_delivery_stream,
            "delete": FirehoseBackend.delete_delivery_stream,
            "put_record_batch": FirehoseBackend.put_record_batch}
EXPECTED_SIGNATURES = {
    "create": "(self, region: str, delivery_stream_name: str, delivery_stream_type: str, "
              "kinesis_stream_source_configuration: dict[str, typing.Any], "
              "delivery_stream_encryption_configuration_input: dict[str, typing.Any], "
              "s3_destination_configuration: dict[str, typing.Any], "
              "extended_s3_destination_configuration: dict[str, typing.Any], "
              "redshift_destination_configuration: dict[str, typing.Any], "
              "elasticsearch_destination_configuration: dict[str, typing.Any], "
              "splunk_destination_configuration: dict[str, typing.Any], "
              "http_endpoint_destination_configuration: dict[str, typing.Any], "
              "snowflake_destination_configuration: dict[str, typing.Any], "
              "iceberg_destination_configuration: dict[str, typing.Any], "
              "tags: list[dict[str, str]]) -> str",
    "delete": "(self, delivery_stream_name: str) -> None",
    "put_record_batch": "(self, delivery_stream_name: str, records: list[dict[str, bytes]]) "
                        "-> dict[str, typing.Any]",
}

# -- moto's hooks: process-wide, serving the latest lab cloud still running ----------------------

_installed: list[Firehose] = []


def _firehose() -> Firehose | None:
    return _installed[-1] if _installed else None


def install(firehose: Firehose) -> None:
    _installed.append(firehose)
    firehose.stop_listeners.append(lambda: uninstall(firehose))
    FirehoseBackend.create_delivery_stream = _create
    FirehoseBackend.delete_delivery_stream = _delete
    FirehoseBackend.put_record_batch = _put_record_batch


def uninstall(firehose: Firehose) -> None:
    if firehose in _installed:
        _installed.remove(firehose)


def signatures_match() -> bool:
    return all(str(inspect.signature(ORIGINAL[k])) == v for k, v in EXPECTED_SIGNATURES.items())


def _create(self: FirehoseBackend, *args, **kwargs) -> str:
    arguments = inspect.signature(ORIGINAL["create"]).bind(self, *args, **kwargs).arguments
    checked_config(self.account_id, arguments)  # raises AWS's error; changes nothing
    arn = ORIGINAL["create"](**arguments)
    if firehose := _firehose():
        firehose.created(self, arguments["delivery_stream_name"])
    return arn


def _delete(self: FirehoseBackend, delivery_stream_name: str) -> None:
    ORIGINAL["delete"](self, delivery_stream_name)
    if firehose := _firehose():
        firehose.deleted(self, delivery_stream_name)


def _put_record_batch(self: FirehoseBackend, delivery_stream_name: str, records):
    stream = self.delivery_streams.get(delivery_stream_name)
    firehose = _firehose()
    if stream is None:
        raise ResourceNotFoundException(
            f"Firehose {delivery_stream_name} under account {self.account_id} not found.")
    if stream.delivery_stream_type == "KinesisStreamAsSource":
        raise InvalidArgumentException(NOT_PERMITTED_ON_KINESIS_SOURCE)
    if firehose is None or destination_of(stream) is None:
        return ORIGINAL["put_record_batch"](self, delivery_stream_name, records)
    now = firehose.clock.now(self.account_id)
    arrivals = [Arrival(r["Data"] if isinstance(r["Data"], bytes)
                        else base64.b64decode(r["Data"]), now, transform.record_id())
                for r in records]
    firehose.put(self, delivery_stream_name, arrivals)
    return {"FailedPutCount": 0, "Encrypted": False,
            "RequestResponses": [{"RecordId": a.record_id} for a in arrivals]}


__all__ = ["Firehose", "install", "signatures_match", "uninstall"]
