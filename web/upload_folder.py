"""Gradio's upload folder, kept clean: what lies there longer than KEEP seconds is deleted, at start and every KEEP
seconds. Gradio's own cleaning (delete_cache) forgets files it did not finish, and those of a server since stopped."""
import asyncio
import contextlib
import os
import time
from pathlib import Path

KEEP = 600  # s: every upload is read as soon as it arrives; ten minutes is ample for a slow classroom


def sweep(folder: str | Path, older_than: float = KEEP, now: float | None = None) -> int:
    """Delete the files under folder last changed more than older_than seconds ago, and the folders left empty;
    returns how many files were deleted. Links are deleted, never followed."""
    now, deleted = time.time() if now is None else now, 0
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):  # gone already, or being written by an upload right now
                if now - os.lstat(path).st_mtime > older_than:
                    os.unlink(path)
                    deleted += 1
        if root != os.fspath(folder):
            with contextlib.suppress(OSError):  # not empty
                os.rmdir(root)
    return deleted


async def keep_clean(folder: str | Path, every: float = KEEP) -> None:
    """Sweep folder now and every `every` seconds, until cancelled (in a worker thread: a large folder takes time)."""
    while True:
        await asyncio.to_thread(sweep, folder, every)
        await asyncio.sleep(every)
