"""kombu's filesystem transport, the broker of `make run`'s demo (no Redis), with each message written
whole before a worker can see it.

kombu creates a message's file under its final name and then writes it; a worker that lists the
folder in between takes the empty file, fails to decode it and stops for good ("Unrecoverable error:
JSONDecodeError", kombu issue #1551), and every import, report and export after it waits forever.
Here the message is written under a name the workers skip (theirs end in ``.<queue>.msg``) and then
renamed, which within one folder is atomic.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:
        # Named as kombu names it (its workers take the files in the order of the names).
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = f"{final}.part"
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(partial)
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
