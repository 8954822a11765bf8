"""The phases of an emulated CodeBuild build: opening and closing them as CodeBuild does, and moving a
build along its scripted outcome, one BatchGetBuilds poll at a time.
"""

import time
from typing import Any

from codebuild_state import BuildScript

PHASES = tuple(
    "SUBMITTED QUEUED PROVISIONING DOWNLOAD_SOURCE INSTALL PRE_BUILD BUILD POST_BUILD UPLOAD_ARTIFACTS"
    " FINALIZING COMPLETED".split()
)
SCRIPTABLE_PHASES = PHASES[PHASES.index("PROVISIONING") : PHASES.index("FINALIZING") + 1]
FINAL_STATUSES = ("SUCCEEDED", "FAILED", "FAULT", "STOPPED", "TIMED_OUT")
DEFAULT_CONTEXTS = {
    "FAILED": ("COMMAND_EXECUTION_ERROR", "Error while executing command: (scripted). Reason: exit status 1"),
    "FAULT": ("CLIENT_ERROR", "Scripted fault"),
    "STOPPED": ("BUILD_STOPPED", "Build was stopped"),
    "TIMED_OUT": ("BUILD_TIMED_OUT", "Build has timed out."),
}


def open_phase(build: dict[str, Any], phase: str, now: float) -> None:
    build["phases"].append({"phaseType": phase, "startTime": now})
    build["currentPhase"] = phase


def close_phase(
    build: dict[str, Any], now: float, status: str = "SUCCEEDED", context: tuple[str, str] | None = None
) -> None:
    phase = build["phases"][-1]
    phase.update(phaseStatus=status, endTime=now, durationInSeconds=int(round(now - phase["startTime"])))
    if context:
        phase["contexts"] = [{"statusCode": context[0], "message": context[1]}]


def run_until(build: dict[str, Any], target: str, now: float) -> None:
    """Succeed every phase from the open one up to `target`, and leave `target` open."""
    while PHASES.index(build["currentPhase"]) < PHASES.index(target):
        close_phase(build, now)
        open_phase(build, PHASES[PHASES.index(build["currentPhase"]) + 1], now)


def finish(build: dict[str, Any], status: str, now: float, context: tuple[str, str] | None = None) -> None:
    """End the open phase with `status`, then run the phases real CodeBuild still runs."""
    failed = build["currentPhase"]
    if status == "SUCCEEDED":
        run_until(build, "COMPLETED", now)
    else:
        close_phase(build, now, status, context)
        # After a failed BUILD, CodeBuild still runs POST_BUILD and always attempts
        # UPLOAD_ARTIFACTS; after any other failure it goes straight to FINALIZING.
        following = ["FINALIZING", "COMPLETED"]
        if status == "FAILED" and failed == "BUILD":
            following = ["POST_BUILD", "UPLOAD_ARTIFACTS", *following]
        elif status == "FAILED" and failed == "POST_BUILD":
            following = ["UPLOAD_ARTIFACTS", *following]
        elif failed == "FINALIZING":
            following = ["COMPLETED"]
        for index, phase in enumerate(following):
            if index > 0:
                close_phase(build, now)
            open_phase(build, phase, now)
    # COMPLETED carries only a startTime in real CodeBuild.
    build.update(buildStatus=status, buildComplete=True, endTime=now)


def _in_progress_phase(outcome: dict[str, Any]) -> str:
    """BUILD while in progress, unless the build is scripted to fail in an earlier phase."""
    failed = outcome.get("failedPhase", "BUILD")
    if outcome["status"] != "SUCCEEDED" and PHASES.index(failed) < PHASES.index("BUILD"):
        return failed
    return "BUILD"


def advance(script: BuildScript) -> None:
    """Count one BatchGetBuilds poll and move the build along its outcome."""
    build, outcome = script.build, script.outcome
    if build["buildComplete"]:
        return
    script.polls += 1
    now = time.time()
    if script.polls <= outcome["inProgressPolls"]:
        run_until(build, _in_progress_phase(outcome), now)
    elif outcome["status"] == "SUCCEEDED":
        finish(build, "SUCCEEDED", now)
    else:
        run_until(build, outcome.get("failedPhase", "BUILD"), now)
        finish(build, outcome["status"], now, _context(outcome))


def _context(outcome: dict[str, Any]) -> tuple[str, str]:
    """`"CODE: message"` from phaseMessage, or a default for the status."""
    message = outcome.get("phaseMessage")
    if not message:
        return DEFAULT_CONTEXTS[outcome["status"]]
    code, separator, rest = message.partition(": ")
    if separator and code.replace("_", "").isalnum() and code.upper() == code:
        return code, rest
    return DEFAULT_CONTEXTS[outcome["status"]][0], message
