"""S3 event notifications carry the object key as S3 writes it.

S3 URL-encodes the key in an event ("red flower.jpg" arrives as "red+flower.jpg", as the S3
user guide's event message structure says) but leaves "/" as it is: "uploads/a b.csv" arrives
as "uploads/a+b.csv". moto encodes the slash too ("uploads%2Fa+b.csv"), so a handler that
forgot to decode would work in moto's events and not in AWS's, or the other way round. The lab
gives moto's notifications module a quote_plus that keeps "/" (contract-tested).

Bucket names: on AWS they are global, so a template with a fixed BucketName deploys once in
the whole world. In a class every learner deploys the same template, so each sandbox (account)
has a bucket namespace of its own: `S3Backend.create_bucket` refuses a name only when the
same account has it (the deploy tells the learner that AWS would not be so kind).

Also patched for S3: `S3Backend.put_object` in quotas.py (a sandbox's stored-bytes quota;
tests/cloud/test_quotas.py).
"""

from urllib.parse import quote_plus

from moto.s3 import notifications
from moto.s3.exceptions import BucketAlreadyExists
from moto.s3.models import S3Backend, s3_backends

_moto_create_bucket = S3Backend.create_bucket


def quote_key(key: str) -> str:
    return quote_plus(key, safe="/")


def create_bucket(self, bucket_name: str, region_name: str, *args, **kwargs):
    """A bucket name is taken only within its own account (one namespace per sandbox)."""
    if bucket_name in self.buckets:
        raise BucketAlreadyExists(bucket=bucket_name)
    elsewhere = s3_backends.bucket_accounts.pop(bucket_name, None)
    try:
        return _moto_create_bucket(self, bucket_name, region_name, *args, **kwargs)
    except Exception:
        if elsewhere:
            s3_backends.bucket_accounts[bucket_name] = elsewhere
        raise


def install() -> None:
    """For the whole process: S3 encodes keys this way everywhere, and bucket names are
    per account."""
    notifications.quote_plus = quote_key
    S3Backend.create_bucket = create_bucket
