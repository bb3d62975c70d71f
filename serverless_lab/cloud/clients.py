"""The one place that builds boto3 clients for the lab cloud's own calls into a sandbox."""

import boto3
from botocore.config import Config

REGION = "us-east-1"
# The lab talks to its own server on loopback: no retries to hide a failure, short timeouts.
LAB_CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                           read_timeout=60)


def client(service: str, *, endpoint_url: str, credentials: dict, region: str = REGION,
           config: Config | None = None):
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        config=LAB_CLIENT_CONFIG.merge(config) if config else LAB_CLIENT_CONFIG,
    )
