"""Benchmark: what each of Pairwise's own response middlewares adds to a request, in-process.

Each middleware wraps a view that returns a small JSON answer, for a GET under /api/ (the
annotators' requests); its cost is the time of the wrapped call less the view's own, both with
`timeit` in the same process, the medians of `--repeat` rounds of `--number` calls. Django's
`add_never_cache_headers`, which the no-store middleware's constant header replaces, is timed
beside them.

    DEBUG=1 .venv/bin/python bench/middleware_cost.py [--number 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import timeit
from pathlib import Path

# Run as a script (python bench/x.py): the repository's root must be importable.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--number", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.http import JsonResponse
    from django.test import RequestFactory
    from django.utils.cache import add_never_cache_headers

    from config.caching import PrivateNoStoreMiddleware
    from config.content_security import ContentSecurityPolicyMiddleware
    from config.not_allowed import MethodNotAllowedPageMiddleware
    from config.uploads import MultipartBodyLimitMiddleware

    request = RequestFactory().get("/api/projects/demo/next/")

    def view(_request):
        return JsonResponse({"ok": True})

    def never_cache(_request):
        response = view(_request)
        add_never_cache_headers(response)
        return response

    def per_call(function) -> float:
        """Median seconds per call of `function(request)`."""
        rounds = timeit.repeat(lambda: function(request), number=args.number, repeat=args.repeat)
        return statistics.median(rounds) / args.number

    base = per_call(view)
    print(f"view alone: {base * 1e6:.1f} µs a call ({args.repeat} rounds of {args.number:,})")
    print("| added to a request | µs |")
    print("|---|---|")
    for name, wrapped in [
        ("ContentSecurityPolicyMiddleware", ContentSecurityPolicyMiddleware(view)),
        ("PrivateNoStoreMiddleware (one constant header)", PrivateNoStoreMiddleware(view)),
        ("add_never_cache_headers (what it replaced)", never_cache),
        ("MethodNotAllowedPageMiddleware", MethodNotAllowedPageMiddleware(view)),
        ("MultipartBodyLimitMiddleware", MultipartBodyLimitMiddleware(view)),
    ]:
        print(f"| {name} | {(per_call(wrapped) - base) * 1e6:.1f} |")


if __name__ == "__main__":
    main()
