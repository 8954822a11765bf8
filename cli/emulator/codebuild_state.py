"""The emulator's CodeBuild state: each build's JSON and scripted outcome, the queued outcomes, the
idempotency tokens and the executor, kept on moto's CodeBuild backend (so POST /moto-api/reset drops them
with the backend), and the lock every CodeBuild action and control takes.
"""

import threading
from collections import deque
from typing import Any

from moto.codebuild.models import CodeBuildBackend

import codebuild_executor

# moto's own behaviour: SUCCEEDED on the first BatchGetBuilds.
DEFAULT_OUTCOME: dict[str, Any] = {"inProgressPolls": 0, "status": "SUCCEEDED"}
# Werkzeug serves requests on threads; a poll counts once even if two callers race.
codebuild_lock = threading.RLock()
# This server's own URL, set by the launcher once it listens; an executor reports back to it.
EMULATOR = {"endpoint": ""}


class BuildScript:
    """One build's JSON as BatchGetBuilds returns it, and the outcome it is heading to."""

    def __init__(self, build: dict[str, Any], outcome: dict[str, Any], request: dict[str, Any]):
        self.build = build
        self.outcome = outcome
        self.scripted = outcome is not DEFAULT_OUTCOME
        self.request = request
        self.polls = 0
        # The executor process running this build for real, when the emulator has one (codebuild_executor.py).
        self.process: Any = None


class CodeBuildScripting:
    """Switchyard's state on one CodeBuild backend (so moto's reset drops it with the backend)."""

    def __init__(self) -> None:
        self.outcomes: dict[str, deque[dict[str, Any]]] = {}
        self.builds: dict[str, BuildScript] = {}
        self.tokens: dict[str, tuple[str, str, float]] = {}
        self.executor: codebuild_executor.ExecutorConfig | None = None


def scripting(backend: CodeBuildBackend) -> CodeBuildScripting:
    """The backend's CodeBuildScripting, created on first use."""
    return backend.__dict__.setdefault("switchyard", CodeBuildScripting())
