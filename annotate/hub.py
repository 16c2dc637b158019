"""What a remote user may name on the Hugging Face Hub: a repository id, never a path on the server.

`datasets.load_dataset` and `transformers.AutoTokenizer.from_pretrained` both read a local directory
when one exists under the name given, so a name taken from a request must be refused when it could
reach the server's files: an absolute or dotted path, or anything that exists relative to the
process's working directory. The command-line tools, run by whoever runs the server, still take
local paths."""

from __future__ import annotations

import re
from pathlib import Path

# The Hub's repository ids: an optional owner and a name, letters, digits, "_", "." and "-", neither
# starting with "." or "-" nor holding ".." or "--" (which the Hub refuses too).
HUB_ID = re.compile(r"(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,95}")  # whole names: fullmatch


class HubIdError(ValueError):
    """A name that is not a Hugging Face Hub repository id, or that names a local path."""


def hub_id_check(name: str, *, what: str) -> str:
    """`name` if it is a Hub repository id that names nothing on this machine; else HubIdError."""
    if not HUB_ID.fullmatch(name) or ".." in name or "--" in name:
        raise HubIdError(f"{what} must be a Hugging Face Hub id such as 'owner/name', not {name!r}.")
    if Path(name).exists():
        raise HubIdError(f"{what} {name!r} names a path on the server; only a Hugging Face Hub id is accepted.")
    return name
