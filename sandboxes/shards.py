"""Which lab cloud shards the web app uses, read from the environment (plain Python: the
settings import it).

LAB_CLOUD_URLS=http://h1:4566,http://h2:4566 names them (shards on other hosts join so);
LAB_SHARDS=N means the N local ones `lab serve --shards N` starts: LAB_CLOUD_URL's port + i.
Neither set: no shards, the single LAB_CLOUD_URL as before (a laptop's `make run`).
"""

from urllib.parse import urlparse

BAD_SHARDS = "LAB_SHARDS is a whole number, 1 or more (got {value!r})"
BAD_URL = "LAB_CLOUD_URLS lists http(s) URLs separated by commas (got {value!r})"


def shard_urls_from_env(environ, *, cloud_url: str) -> list[str]:
    listed = environ.get("LAB_CLOUD_URLS", "").strip()
    if listed:
        urls = [u.strip().rstrip("/") for u in listed.split(",") if u.strip()]
        for url in urls:
            if urlparse(url).scheme not in ("http", "https") or not urlparse(url).hostname:
                raise ValueError(BAD_URL.format(value=url))
        return urls
    count = environ.get("LAB_SHARDS", "").strip()
    if not count:
        return []
    if not count.isdigit() or int(count) < 1:
        raise ValueError(BAD_SHARDS.format(value=count))
    return local_shard_urls(cloud_url, int(count))


def local_shard_urls(cloud_url: str, count: int) -> list[str]:
    """Shard i of `lab serve --shards N` answers on the base URL's port + i."""
    base = urlparse(cloud_url)
    port = base.port or (443 if base.scheme == "https" else 80)
    return [f"{base.scheme}://{base.hostname}:{port + i}" for i in range(count)]
