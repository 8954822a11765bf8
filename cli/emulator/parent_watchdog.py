"""The launcher's --parent-pid watchdog: the emulator exits by itself once the process that started it is gone,
so a crashed caller (a jest run, `switchyard local`) never leaves a server behind.
"""

import os
import time


def watch_parent(parent_pid: int) -> None:
    """Exit as soon as the parent process is gone, so a crashed caller never leaves a server behind."""
    watching_own_parent = os.getppid() == parent_pid
    while True:
        if not _alive(parent_pid) or (watching_own_parent and os.getppid() != parent_pid):
            # os._exit: there is nothing to clean up, and request threads must not keep us alive.
            os._exit(0)
        time.sleep(0.5)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by someone else
    # A dead process that nobody has reaped yet (some container inits never do) still answers kill 0.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
