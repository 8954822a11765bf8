"""A Node.js Lambda function's code and runtime on disk, for the emulator: the code zip unpacked once per
code digest into the user's private cache (the function's LAMBDA_TASK_ROOT; the cache's checks are in
lambda_node_cache.py), the bootstrap written once per content, and the `node` binary to run them with. See
lambda_node.py for the behaviour.
"""

import hashlib
import io
import os
import shutil
import tempfile
import threading
import zipfile

from moto.awslambda.models import LambdaFunction

from lambda_node_bootstrap import BOOTSTRAP
from lambda_node_cache import (
    EmulatorFailure,
    cache_root,
    discard,
    make_private,
    private_cache_root,
    tree_digest,
    verified,
    write_marker,
)

__all__ = ["EmulatorFailure", "bootstrap_path", "cache_root", "node_binary", "task_root_of"]

_disk_lock = threading.Lock()


def bootstrap_path() -> str:
    """The bootstrap, written once per content (its name carries a hash, so an edited one never goes stale)."""
    digest = hashlib.sha256(BOOTSTRAP.encode()).hexdigest()[:16]
    path = os.path.join(private_cache_root(), f"bootstrap-{digest}.cjs")
    with _disk_lock:
        if not _is_current_bootstrap(path):
            temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(BOOTSTRAP)
            os.replace(temporary, path)
    return path


def _is_current_bootstrap(path: str) -> bool:
    """True when the file is this user's own regular file, writable by no one else, with the expected text."""
    try:
        info = os.lstat(path)
        if not os.path.isfile(path) or os.path.islink(path) or info.st_uid != os.geteuid() or info.st_mode & 0o022:
            return False
        with open(path, encoding="utf-8") as handle:
            return handle.read() == BOOTSTRAP
    except (OSError, UnicodeDecodeError):
        return False


def task_root_of(fn: LambdaFunction) -> str:
    """
    The function's code unpacked into `<cache>/<sha256 of the zip>/`, once, and checked on every use: a folder
    that is not intact and this user's alone is thrown away and the code unpacked again (lambda_node_cache.py).
    """
    code = fn.code_bytes or b""
    # Hashed here rather than taken from moto's code_digest: the folder's name is this code's digest, whatever moto did.
    digest = hashlib.sha256(code).hexdigest() if code else "empty"
    cache = private_cache_root()
    root = os.path.join(cache, digest)
    with _disk_lock:
        if os.path.lexists(root):
            why = verified(root)
            if why is None:
                return root
            discard(root, why)
        staging = tempfile.mkdtemp(prefix=f".{digest}.", dir=cache)
        try:
            if code:
                _unzip(code, staging)
            make_private(staging)
            # The marker is written before the folder takes its name, so no reader sees the folder without it.
            write_marker(root, tree_digest(staging))
            try:
                os.rename(staging, root)
            except OSError:
                if verified(root) is not None:
                    raise
                shutil.rmtree(staging, ignore_errors=True)  # another emulator process unpacked the same code first
        except Exception:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    return root


def _unzip(data: bytes, destination: str) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as error:
        raise EmulatorFailure(f"the function's code is not a zip file ({error}); it cannot be run") from error
    real_destination = os.path.realpath(destination)
    with archive:
        for member in archive.infolist():
            target = os.path.realpath(os.path.join(destination, member.filename))
            # An entry naming a path outside the task root (../, absolute) is skipped, as unzip -o would refuse it.
            if target != real_destination and not target.startswith(real_destination + os.sep):
                continue
            archive.extract(member, destination)


def node_binary() -> str:
    configured = os.environ.get("SWITCHYARD_LAMBDA_NODE")
    found = configured or shutil.which("node")
    if not found:
        raise EmulatorFailure(
            "the emulator runs Node.js Lambda functions with `node`, which is not on PATH; put Node on PATH or "
            "set SWITCHYARD_LAMBDA_NODE to its path"
        )
    return found
