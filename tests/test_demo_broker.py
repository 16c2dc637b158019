"""`make run`'s broker, kombu's filesystem transport (no Redis): a worker never takes a message that
is still being written."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path
from queue import Empty

from kombu import Connection
from kombu.utils.imports import symbol_by_name

ROOT = Path(__file__).resolve().parent.parent


def demo_transport() -> str:
    """The transport class Celery connects with under the demo's settings (DEBUG, no REDIS_URL), as
    `module:Class`."""
    code = (
        "from config.celery import app; transport = app.connection_for_write().get_transport_cls(); "
        "print(f'{transport.__module__}:{transport.__qualname__}')"
    )
    drop = {"SECRET_KEY", "DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env |= {"DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_a_worker_polling_while_a_message_is_written_finds_none_rather_than_an_empty_one(tmp_path, monkeypatch):
    # Found by the lead walkthrough: kombu created the message's file under its final name and then
    # wrote it, so a worker polling in between took the empty file and stopped for good
    # ("Unrecoverable error: JSONDecodeError"), leaving every later import, report and export pending.
    folders = {name: tmp_path / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir()
    options = {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
    transport = symbol_by_name(demo_transport())
    writer = Connection("filesystem://localhost/", transport=transport, transport_options=options).default_channel
    worker = Connection("filesystem://localhost/", transport=transport, transport_options=options).default_channel

    polled = []
    real_open = builtins.open

    def open_then_poll(file, mode="r", *args, **kwargs):
        opened = real_open(file, mode, *args, **kwargs)
        if "w" in mode and Path(file).parent == folders["queue"]:
            # The message's file is open for writing, nothing in it yet: the worker polls now.
            try:
                polled.append(worker._get("celery"))
            except Empty:
                polled.append("nothing yet")
            except ValueError as error:
                polled.append(error)
        return opened

    monkeypatch.setattr(builtins, "open", open_then_poll)
    writer._put("celery", {"body": "whole"})
    monkeypatch.undo()

    assert polled == ["nothing yet"]
    assert worker._get("celery") == {"body": "whole"}
