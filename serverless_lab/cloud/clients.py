"""The one place that builds boto3 clients for the lab cloud's own calls into a sandbox.

A boto3 Session reads and parses the service models (JSON files of megabytes) the first time
it builds a client of a service, and a new Session starts from nothing: that was 60-200 ms per
client, most of a deploy's time (issue 13). So every client comes from one Session, whose
loader keeps the parsed models (a client then costs ~7 ms), and a client already built for
the same service, endpoint, region, credentials and config is handed out again (a deploy
asks for `cloudformation` five times). boto3's clients are thread-safe; its Sessions are not,
hence the lock around building one. The cache is bounded: a dropped client closes its
connections when it is collected, as every client did before.
"""

import threading
from collections import OrderedDict

import boto3
from botocore.config import Config

REGION = "us-east-1"
# The lab talks to its own server on loopback: no retries to hide a failure, short timeouts.
LAB_CLIENT_CONFIG = Config(retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=5,
                           read_timeout=60)
# Enough for every service a deploy touches in a few sandboxes at once; small enough that
# the idle keep-alive connections they hold (one server thread each) stay few.
CACHED_CLIENTS = 64

_session = boto3.session.Session()
_lock = threading.Lock()
_clients: OrderedDict[tuple, object] = OrderedDict()


def client(service: str, *, endpoint_url: str, credentials: dict, region: str = REGION,
           config: Config | None = None):
    key = (service, endpoint_url, region, credentials["AccessKeyId"],
           credentials["SecretAccessKey"], credentials.get("SessionToken"))
    with _lock:
        found = None if config else _clients.get(key)
        if found is not None:
            _clients.move_to_end(key)
            return found
        made = _session.client(
            service,
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials.get("SessionToken"),
            config=LAB_CLIENT_CONFIG.merge(config) if config else LAB_CLIENT_CONFIG,
        )
        if config is None:  # a caller's own Config may be built per call: not worth keeping
            _clients[key] = made
            if len(_clients) > CACHED_CLIENTS:
                _clients.popitem(last=False)
        return made
