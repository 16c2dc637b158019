"""Path converters of Pairwise's URLs."""

from __future__ import annotations


class IdConverter:
    """A row's id in a path: 1 to 18 digits, so below a 64-bit integer's limit. Django's `int` takes
    any number of digits, and a longer one, looked up on SQLite (the demo's and one machine's
    database), failed in the driver ("Python int too large to convert to SQLite INTEGER"): a 500
    where PostgreSQL finds nothing and answers 404. A path with a longer id matches no route: 404."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)
