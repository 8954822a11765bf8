"""Runs a command under a pseudo-terminal, as a person's terminal runs it, for test/support/pty-session.ts.

The command leads a new session whose controlling terminal is the pty, in the foreground: a "\\x03" written to the
master makes the terminal driver send SIGINT to that foreground process group, as a person's Ctrl-C does. This
process copies what the command prints to its stdout, after one first line "<<pty-child PID>>", and copies its own
stdin to the master (the keys). It exits with the command's status, 128 + N when signal N ended it, as a shell does.
"""

import os
import pty
import select
import sys


def main() -> None:
    argv = sys.argv[1:]
    if not argv:
        sys.exit("usage: pty_driver.py COMMAND [ARG]...")
    pid, master = pty.fork()
    if pid == 0:
        os.execvp(argv[0], argv)
    os.write(1, f"<<pty-child {pid}>>\n".encode())
    keys = sys.stdin.fileno()
    reading_keys = True
    status = None
    while True:
        readable, _, _ = select.select([master] + ([keys] if reading_keys else []), [], [], 0.1)
        if master in readable:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every holder of the terminal's side has closed it
                data = b""
            if not data:
                break
            os.write(1, data)
        if keys in readable:
            data = os.read(keys, 1024)
            if data:
                os.write(master, data)
            else:
                reading_keys = False
        if status is None:
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
        elif not readable:
            break  # the command has exited and printed everything it had
    if status is None:
        _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    sys.exit(128 - code if code < 0 else code)


if __name__ == "__main__":
    main()
