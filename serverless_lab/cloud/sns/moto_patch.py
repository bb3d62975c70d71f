"""SNS's message size limit as AWS applies it.

moto refuses a message over 256 KiB, but counts characters, not bytes, and puts a whole
botocore error line inside its error message ("An error occurred (InvalidParameter) when
calling the Publish operation: Invalid parameter: Message too long"). AWS counts the UTF-8
bytes and answers `InvalidParameter` with "Invalid parameter: Message too long". The lab checks
first, as AWS does, and moto's own check then never fires. (A topic's MaximumMessageSize
attribute, which can raise the limit to 1 MiB, is not emulated: moto does not keep it.)
Contract-tested in tests/cloud/test_moto_contract.py.
"""

import functools

from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import MAXIMUM_MESSAGE_LENGTH, SNSBackend

ORIGINAL_PUBLISH = SNSBackend.publish
TOO_LONG = "Invalid parameter: Message too long"


@functools.wraps(ORIGINAL_PUBLISH)
def publish(self, message, arn, *args, **kwargs):
    if len(message.encode("utf-8")) > MAXIMUM_MESSAGE_LENGTH:
        raise InvalidParameterValue(TOO_LONG)
    return ORIGINAL_PUBLISH(self, message, arn, *args, **kwargs)


def install() -> None:
    """For the whole process: the limit is AWS's everywhere."""
    SNSBackend.publish = publish
