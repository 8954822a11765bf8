"""The emulator's Lambda code cache, private to the user who runs the emulator.

Whatever is in the cache runs on the next Invoke, as that user: a directory another user could write to would let
them run code as this one. So the cache is `$SWITCHYARD_LAMBDA_CACHE`, else `$XDG_CACHE_HOME/switchyard/lambda`,
else `~/.cache/switchyard/lambda`, each folder created 0700; before anything in it is used, the cache folder must
be owned by this user and writable by no one else (else the Invoke fails, naming the path and the fix), and each
function's unpacked code must still match what was unpacked (a 0600 marker next to it holds the digest of its
files, checked on every use; a mismatch, a stranger's or loosened file, or a link is thrown away and the code
unpacked again).

What it mirrors: in Lambda the function's code sits read-only in LAMBDA_TASK_ROOT
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime) and is the
package whose SHA-256 the function reports as CodeSha256
(https://docs.aws.amazon.com/lambda/latest/api/API_FunctionConfiguration.html): no one else changes it.
"""

import hashlib
import os
import shutil
import stat
import sys
import uuid

from moto.core.exceptions import JsonRESTError

# Bits that let the group or others write (a file or folder of the cache may have none of them).
_SHARED_WRITE = stat.S_IWGRP | stat.S_IWOTH


class EmulatorFailure(JsonRESTError):
    """The emulator cannot run the function (no node, unreadable code, an unsafe cache): HTTP 500 with the cause."""

    code = 500

    def __init__(self, message: str):
        super().__init__("ServiceException", message)


def cache_root() -> str:
    """Where the code is unpacked: $SWITCHYARD_LAMBDA_CACHE, else the user's cache folder (XDG), not the shared tmp."""
    configured = os.environ.get("SWITCHYARD_LAMBDA_CACHE")
    if configured:
        return os.path.abspath(configured)
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    # The XDG base directory spec ignores a relative XDG_CACHE_HOME.
    base = xdg if os.path.isabs(xdg) else os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "switchyard", "lambda")


def private_cache_root() -> str:
    """The cache folder, created 0700 if missing; refused (EmulatorFailure) unless this user alone can write it."""
    root = cache_root()
    _make_private_dirs(root)
    _check_private_dir(root)
    return root


def _make_private_dirs(path: str) -> None:
    missing = []
    current = path
    while not os.path.lexists(current):
        missing.append(current)
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in reversed(missing):
        try:
            os.mkdir(folder, 0o700)
        except FileExistsError:
            pass  # made at the same moment by another invoke; checked below like any existing folder


def _check_private_dir(path: str) -> None:
    me = os.geteuid()
    fix = (
        f"remove it (rm -rf '{path}') so the emulator makes it again, private to you, or set SWITCHYARD_LAMBDA_CACHE "
        "to a folder of your own with mode 0700"
    )
    try:
        link, target = os.lstat(path), os.stat(path)
    except OSError as error:
        raise EmulatorFailure(f"the Lambda code cache {path} cannot be read ({error}); {fix}") from error
    for info in (link, target):
        if info.st_uid != me:
            raise EmulatorFailure(
                f"the Lambda code cache {path} is owned by uid {info.st_uid}, not by you (uid {me}): code put there "
                f"would run on the next Invoke; {fix}"
            )
    if not stat.S_ISDIR(target.st_mode):
        raise EmulatorFailure(f"the Lambda code cache {path} is not a folder; {fix}")
    if target.st_mode & _SHARED_WRITE:
        mode = stat.S_IMODE(target.st_mode)
        raise EmulatorFailure(
            f"the Lambda code cache {path} is writable by its group or others (mode {mode:04o}): code put there "
            f"would run on the next Invoke; chmod 700 '{path}', or {fix}"
        )


def tree_digest(root: str) -> str:
    """The SHA-256 of a folder's paths and file contents; raises ValueError for a link, a stranger's or shared entry."""
    me = os.geteuid()
    digest = hashlib.sha256()
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in [folder, *(os.path.join(folder, n) for n in sorted(dirs + files))]:
            info = os.lstat(name)
            relative = os.path.relpath(name, root)
            if info.st_uid != me or info.st_mode & _SHARED_WRITE:
                raise ValueError(
                    f"{relative} is not yours alone (uid {info.st_uid}, mode {stat.S_IMODE(info.st_mode):04o})"
                )
            if stat.S_ISLNK(info.st_mode) or not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
                raise ValueError(f"{relative} is not a plain file or folder")
            if stat.S_ISREG(info.st_mode) and name != folder:
                digest.update(f"F {relative}\0".encode())
                with open(name, "rb") as handle:
                    for chunk in iter(lambda: handle.read(1 << 20), b""):
                        digest.update(chunk)
                digest.update(b"\0")
            elif name == folder:
                digest.update(f"D {relative}\0".encode())
    return digest.hexdigest()


def make_private(root: str) -> None:
    """Folders 0700 and files 0600, whatever the umask made of them."""
    os.chmod(root, 0o700)
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs:
            os.chmod(os.path.join(folder, name), 0o700)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)


def marker_path(task_root: str) -> str:
    return f"{task_root}.verified"


def write_marker(task_root: str, digest: str) -> None:
    """The digest of a verified unpacking, in a 0600 file written whole (a reader sees the old one or the new)."""
    temporary = f"{marker_path(task_root)}.{uuid.uuid4().hex}"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(digest)
    os.replace(temporary, marker_path(task_root))


def verified(task_root: str) -> str | None:
    """Why the unpacked code cannot be used as is, or None when it is intact and this user's alone."""
    marker = marker_path(task_root)
    try:
        info = os.lstat(marker)
    except FileNotFoundError:
        return "it has no verification marker"
    if not stat.S_ISREG(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        return f"its marker {marker} is not a 0600 file of yours"
    with open(marker, encoding="ascii", errors="replace") as handle:
        expected = handle.read().strip()
    try:
        actual = tree_digest(task_root)
    except (OSError, ValueError) as error:
        return str(error)
    return None if actual == expected else "its files differ from the code that was unpacked there"


def discard(task_root: str, why: str) -> None:
    """Moves a folder that failed its check out of the way (the cache folder is ours, so the rename is allowed)."""
    print(f"switchyard emulator: not using {task_root}: {why}; unpacking the function's code again", file=sys.stderr)
    aside = os.path.join(os.path.dirname(task_root), f".discarded-{uuid.uuid4().hex}")
    try:
        os.rename(task_root, aside)
    except FileNotFoundError:
        pass  # another invoke discarded it first
    shutil.rmtree(aside, ignore_errors=True)
    try:
        os.unlink(marker_path(task_root))
    except FileNotFoundError:
        pass
