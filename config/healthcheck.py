"""docker-compose's health check of the web service: `python -m config.healthcheck [URL]`.

Asks `/healthz` as one of ALLOWED_HOSTS: Django answers 400 to a Host it does not serve, and a
production ALLOWED_HOSTS names the public host, not 127.0.0.1. Exits 0 when the app (and its
database) answers, 1 otherwise.
"""

from __future__ import annotations

import http.client
import os
import sys
from urllib.parse import urlsplit


def health_host(allowed_hosts: str) -> str:
    """A Host header that ALLOWED_HOSTS accepts: its first entry (`.example.org` also serves
    `example.org`), or localhost when it names none or accepts any."""
    first = next((host.strip() for host in allowed_hosts.split(",") if host.strip()), "")
    first = first.lstrip(".")
    return "localhost" if first in ("", "*") else first


def main(url: str = "http://127.0.0.1:8000/healthz") -> int:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=4)
    try:
        connection.request("GET", parts.path, headers={"Host": health_host(os.environ.get("ALLOWED_HOSTS", ""))})
        status = connection.getresponse().status
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    if status != 200:
        print(f"unhealthy: HTTP {status}", file=sys.stderr)
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
