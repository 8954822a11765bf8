"""The emulator's CodeBuild can run builds for real: with an executor set, each StartBuild starts a process
(cli/emulator/build-executor.js) that runs the buildspec locally and reports the build's phases and status back
through POST /moto-api/switchyard/codebuild/report. BatchGetBuilds then shows that build as it goes, and
StopBuild stops the process. Without an executor, builds follow the scripted outcomes as before.

Controls:
    POST /moto-api/switchyard/codebuild/executor  {"command": ["node", ".../build-executor.js"] | null,
                                                   "env"?: {...}, "accountId"?, "region"?}
    POST /moto-api/switchyard/codebuild/report    {"id", "update": {buildStatus?, currentPhase?, phases?, ...},
                                                   "accountId"?, "region"?}
"""

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any, Callable

# Fields of the build JSON an executor may set; anything else in a report is refused.
REPORTABLE = {
    "buildStatus",
    "currentPhase",
    "phases",
    "buildComplete",
    "endTime",
    "artifacts",
    "exportedEnvironmentVariables",
    "resolvedSourceVersion",
}
FINAL_STATUSES = {"SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT"}


class ExecutorConfig:
    """The command that runs a build, and extra environment for it."""

    def __init__(self, command: list[str], env: dict[str, str]):
        self.command = command
        self.env = env


def validate_config(body: dict[str, Any], error: Callable[[str], Exception]) -> ExecutorConfig | None:
    """The executor control's body as a config; None turns the executor off."""
    command = body.get("command")
    if command is None:
        return None
    if not isinstance(command, list) or not command or not all(isinstance(part, str) for part in command):
        raise error('"command" must be a non-empty list of strings (the program and its arguments), or null')
    env = body.get("env") or {}
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        raise error('"env" must be an object of strings')
    return ExecutorConfig(command, env)


def launch(
    config: ExecutorConfig,
    endpoint: str,
    build: dict[str, Any],
    artifacts: dict[str, Any],
    account_id: str,
    region: str,
    git: dict[str, str] | None = None,
) -> subprocess.Popen:
    """Start the executor for one build; its request goes on stdin, its log to this server's stderr."""
    request = {
        "endpoint": endpoint,
        "accountId": account_id,
        "region": region,
        "build": build,
        "artifacts": artifacts,
        # A CODECOMMIT source: the bound git repository and the commit (codebuild_sources.py), or why not.
        "gitSource": git,
    }
    env = {**os.environ, **config.env, "AWS_REGION": region, "AWS_ACCESS_KEY_ID": "emulator",
           "AWS_SECRET_ACCESS_KEY": "emulator"}
    # The executor talks to this emulator only; endpoint variables of the caller must not point it elsewhere.
    for name in [name for name in env if name.startswith("AWS_ENDPOINT_URL")]:
        del env[name]
    process = subprocess.Popen(
        config.command,
        stdin=subprocess.PIPE,
        stdout=sys.stderr,
        stderr=sys.stderr,
        env=env,
        start_new_session=True,
    )
    assert process.stdin is not None
    process.stdin.write(json.dumps(request).encode("utf-8"))
    process.stdin.close()
    return process


def stop(process: subprocess.Popen | None) -> None:
    """StopBuild: ask the executor to stop (it reports STOPPED); its commands die with its process group."""
    if process is None or process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass


def apply_report(build: dict[str, Any], update: Any, error: Callable[[str], Exception]) -> None:
    """Merge an executor's report into the build JSON; a build already complete (stopped) is left as it is."""
    if not isinstance(update, dict):
        raise error('"update" must be an object')
    unknown = set(update) - REPORTABLE
    if unknown:
        raise error(f"cannot report {', '.join(sorted(unknown))}; reportable: {', '.join(sorted(REPORTABLE))}")
    if build.get("buildComplete"):
        return
    if "buildStatus" in update and update["buildStatus"] not in FINAL_STATUSES | {"IN_PROGRESS"}:
        raise error(f"unknown buildStatus {update['buildStatus']!r}")
    artifacts = update.pop("artifacts", None)
    build.update(update)
    if isinstance(artifacts, dict):
        build.setdefault("artifacts", {}).update(artifacts)
    if build.get("buildStatus") in FINAL_STATUSES:
        build["buildComplete"] = True
        build.setdefault("endTime", time.time())
