"""A client of the lab cloud's control API and of learners' REST APIs, over HTTP.

The web app and the CLI both use this; neither reaches into the lab cloud's objects, so the
lab cloud can run in the same process (a laptop) or in its own (a class server).
"""

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

UNREACHABLE = "The lab cloud does not answer at {url}: start it with `python manage.py lab serve`."


class LabCloudError(RuntimeError):
    """The control API refused a request; the message is the lab cloud's own."""


class LabCloudUnreachable(LabCloudError):
    pass


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: str


class LabClient:
    def __init__(self, url: str, *, token: str | None = None, timeout: float = 120.0):
        self.url = url.rstrip("/")
        self.token = token  # the lab's control token (every route but health asks for it)
        self.timeout = timeout

    def _call(self, method: str, path: str, payload: dict | None = None) -> dict:
        data = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.url}/_lab/{path}", data=data, method=method,
                                         headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:
            try:
                message = json.load(e).get("error", str(e))
            except (json.JSONDecodeError, AttributeError):
                message = str(e)
            raise LabCloudError(message) from None
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            raise LabCloudUnreachable(UNREACHABLE.format(url=self.url)) from None

    def healthy(self) -> bool:
        try:
            return self._call("GET", "health").get("ok", False)
        except LabCloudError:
            return False

    def sandbox(self, learner: str) -> dict:
        return self._call("POST", "sandboxes", {"learner": learner})

    def deploy(self, learner: str, path: str, stack: str | None = None,
               files: dict[str, str] | None = None) -> dict:
        """Deploy the SAM folder at `path` as `stack`; with `files` (relative path -> text),
        a copy of it with those files laid over it (a refused or failed deploy leaves the
        learner's stack as it was)."""
        payload = {"learner": learner, "path": path, "stack": stack}
        if files is not None:
            payload["files"] = files
        return self._call("POST", "deploy", payload)

    def deployment(self, learner: str, stack: str) -> dict | None:
        """What is deployed as `stack` in the learner's sandbox now (None: nothing)."""
        query = urllib.parse.urlencode({"learner": learner, "stack": stack})
        return self._call("GET", f"deployment?{query}")["deployment"]

    def reset(self, learner: str, *, forget: bool = False) -> dict:
        """Empty the learner's sandbox; with `forget`, drop it and its credentials too (an
        idle sandbox evicted; the next call makes it afresh)."""
        return self._call("POST", "reset", {"learner": learner, "forget": forget})

    def recycle(self, learner: str) -> dict:
        return self._call("POST", "recycle", {"learner": learner})

    def invoke(self, learner: str, stack: str, function: str, event) -> dict:
        return self._call("POST", "invoke", {"learner": learner, "stack": stack,
                                             "function": function, "event": event})["invocation"]

    def settings(self, learner: str, **settings) -> dict:
        return self._call("POST", "settings", {"learner": learner, **settings})

    def clock(self, learner: str, advance: str | None = None) -> dict:
        """The sandbox's lab clock; with `advance` (e.g. "24h"), fast-forwarded first."""
        if advance is None:
            return self._call("GET", f"clock?learner={learner}")
        return self._call("POST", "clock", {"learner": learner, "advance": advance})

    def trace(self, learner: str, since: int = 0) -> dict:
        return self._call("GET", f"trace?learner={learner}&since={since}")

    def inventory(self, learner: str, **options) -> dict:
        """What the learner's sandbox holds (table=, start=, limit= page a table's items);
        with bucket= and key=, {"object": ...} with that object's bytes in base64."""
        query = urllib.parse.urlencode({"learner": learner, **{k: v for k, v in options.items()
                                                               if v is not None}})
        return self._call("GET", f"inventory?{query}")

    def http(self, url: str, *, method: str, body: str | None = None,
             headers: dict | None = None) -> HttpAnswer:
        """A request to a learner's API, as curl would send it; every status is an answer."""
        request = urllib.request.Request(url, data=body.encode() if body else None,
                                         method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return HttpAnswer(response.status, dict(response.headers),
                                  response.read().decode("utf-8", "replace"))
        except urllib.error.HTTPError as e:
            return HttpAnswer(e.code, dict(e.headers), e.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            raise LabCloudUnreachable(UNREACHABLE.format(url=self.url)) from None
