"""Container health check for the web service: /healthz/ says the database and the cache answer.

Asks gunicorn on 127.0.0.1:8000 with a Host the site accepts (the first of ALLOWED_HOSTS) and as if
through the TLS proxy, so neither DisallowedHost nor the HTTPS redirect gets in the way. Exit 0 when
the page answers with 2xx or 3xx, 1 otherwise (Docker's HEALTHCHECK convention).
"""

import os
import sys
import urllib.error
import urllib.request

URL = "http://127.0.0.1:8000/healthz/"


def allowed_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def main() -> int:
    request = urllib.request.Request(URL, headers={"Host": allowed_host(), "X-Forwarded-Proto": "https"})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=8) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"unhealthy: {error}")
        return 1
    if 200 <= status < 400:
        return 0
    print(f"unhealthy: {URL} answered {status}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
