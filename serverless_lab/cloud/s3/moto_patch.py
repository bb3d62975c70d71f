"""S3 event notifications carry the object key as S3 writes it.

S3 URL-encodes the key in an event ("red flower.jpg" arrives as "red+flower.jpg", as the S3
user guide's event message structure says) but leaves "/" as it is: "uploads/a b.csv" arrives
as "uploads/a+b.csv". moto encodes the slash too ("uploads%2Fa+b.csv"), so a handler that
forgot to decode would work in moto's events and not in AWS's, or the other way round. The lab
gives moto's notifications module a quote_plus that keeps "/" (contract-tested).

Also patched for S3: `S3Backend.put_object` in quotas.py (a sandbox's stored-bytes quota;
tests/cloud/test_quotas.py).
"""

from urllib.parse import quote_plus

from moto.s3 import notifications


def quote_key(key: str) -> str:
    return quote_plus(key, safe="/")


def install() -> None:
    """For the whole process: S3 encodes keys this way everywhere."""
    notifications.quote_plus = quote_key
