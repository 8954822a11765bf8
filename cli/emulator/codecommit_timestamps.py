"""CodeCommit repository timestamps as epoch seconds, for Switchyard's emulator.

moto 5.2.1 writes creationDate and lastModifiedDate as ISO strings, which the JSON protocol rejects: the JS
SDK throws "Expected real number, got implicit NaN" for CreateRepository and GetRepository, although the call
succeeded. (CodeBuild's timestamps are written as epoch seconds by the replaced build actions, codebuild_api.py.)
"""

from datetime import datetime, timezone
from typing import Any

from moto.codecommit.models import CodeCommit


def epoch_seconds(value: Any) -> Any:
    """Turn moto's ISO-8601 string (UTC, e.g. 2024-05-01T10:00:00.000Z) into epoch seconds."""
    if not isinstance(value, str):
        return value
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def patch_codecommit_timestamps() -> None:
    """CodeCommit.__init__ stores creationDate/lastModifiedDate as ISO strings, and
    create_repository/get_repository json.dumps that dict as is: convert it once, at creation."""
    original_init = CodeCommit.__init__

    def __init__(self: CodeCommit, *args: Any, **kwargs: Any) -> None:
        original_init(self, *args, **kwargs)
        for key in ("creationDate", "lastModifiedDate"):
            self.repository_metadata[key] = epoch_seconds(self.repository_metadata[key])

    CodeCommit.__init__ = __init__  # type: ignore[method-assign]
