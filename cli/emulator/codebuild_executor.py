"""The emulator's CodeBuild can run builds for real: the launcher names the executor (--build-executor, the
command of cli/emulator/build-executor.js), and once the control below turns it on (until the next reset)
each StartBuild starts that process, which runs the buildspec locally and reports the build's phases and
status back through POST /moto-api/switchyard/codebuild/report. BatchGetBuilds then shows that build as it goes,
and StopBuild stops the process. Otherwise builds follow the scripted outcomes.

The command is fixed at launch and never taken from a request: a control that set it would let anyone who can
reach the port run commands as the user (emulator_auth.py).

Controls:
    POST /moto-api/switchyard/codebuild/run-builds  {"enabled": true | false, "accountId"?, "region"?}
    POST /moto-api/switchyard/codebuild/report      {"id", "update": {buildStatus?, currentPhase?, phases?, ...},
                                                     "accountId"?, "region"?}
"""

import json
import os
import signal
import subprocess
import sys
import time
from typing import Any, Callable

import emulator_auth

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
    """The command that runs a build."""

    def __init__(self, command: list[str]):
        self.command = command


# The launch's executor (--build-executor), or None: the emulator then only scripts outcomes.
_launch: dict[str, ExecutorConfig | None] = {"executor": None}


def configure_launch(command_json: str | None, error: Callable[[str], Exception]) -> None:
    """--build-executor: a JSON list of strings, the program and its arguments."""
    if command_json is None:
        return
    try:
        command = json.loads(command_json)
    except json.JSONDecodeError as problem:
        raise error(f"--build-executor is not JSON ({problem}): give a list like [\"node\", \".../build-executor.js\"]")
    if not isinstance(command, list) or not command or not all(isinstance(part, str) and part for part in command):
        raise error('--build-executor must be a non-empty JSON list of strings (the program and its arguments)')
    _launch["executor"] = ExecutorConfig(command)


def launch_executor(error: Callable[[str], Exception]) -> ExecutorConfig:
    """The executor named at launch, for the run-builds control; an error when there is none."""
    executor = _launch["executor"]
    if executor is None:
        raise error("this emulator was launched without --build-executor, so builds can only be scripted")
    return executor


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
    # The launch's credentials: the emulator refuses any other key id (emulator_auth.py); the executor's report
    # control needs the secret too.
    env = {**os.environ, **emulator_auth.credential_environment(), "AWS_REGION": region}
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
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
