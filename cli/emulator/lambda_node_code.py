"""A Node.js Lambda function's code and runtime on disk, for the emulator: the code zip unpacked once per
code digest into the cache (the function's LAMBDA_TASK_ROOT), the bootstrap written once per content, and the
`node` binary to run them with. See lambda_node.py for the behaviour.
"""

import hashlib
import io
import os
import shutil
import tempfile
import threading
import zipfile

from moto.awslambda.models import LambdaFunction
from moto.core.exceptions import JsonRESTError

from lambda_node_bootstrap import BOOTSTRAP


class EmulatorFailure(JsonRESTError):
    """The emulator cannot run the function (no node, unreadable code): HTTP 500 with the cause."""

    code = 500

    def __init__(self, message: str):
        super().__init__("ServiceException", message)


_disk_lock = threading.Lock()


def cache_root() -> str:
    return os.environ.get("SWITCHYARD_LAMBDA_CACHE") or os.path.join(tempfile.gettempdir(), "switchyard-lambda")


def bootstrap_path() -> str:
    """The bootstrap, written once per content (its name carries a hash, so an edited one never goes stale)."""
    digest = hashlib.sha256(BOOTSTRAP.encode()).hexdigest()[:16]
    path = os.path.join(cache_root(), f"bootstrap-{digest}.cjs")
    if not os.path.exists(path):
        with _disk_lock:
            os.makedirs(cache_root(), exist_ok=True)
            temporary = f"{path}.{os.getpid()}.{threading.get_ident()}"
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(BOOTSTRAP)
            os.replace(temporary, path)
    return path


def task_root_of(fn: LambdaFunction) -> str:
    """The function's code unpacked into `<cache>/<sha256>/`, once; concurrent first invokes race safely."""
    digest = fn.code_digest or "empty"
    root = os.path.join(cache_root(), digest)
    if os.path.isdir(root):
        return root
    os.makedirs(cache_root(), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f"{digest}.", dir=cache_root())
    try:
        if fn.code_bytes:
            _unzip(fn.code_bytes, staging)
        try:
            os.rename(staging, root)
        except OSError:
            if not os.path.isdir(root):
                raise
            shutil.rmtree(staging, ignore_errors=True)  # another invoke won the race
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
