"""The emulator's CodeBuild controls: scripting the outcome of the next builds, listing the builds started,
turning on (or off) the executor named at launch that runs builds for real, and the route it reports on.

    POST /moto-api/switchyard/codebuild/outcomes  {"projectName", "outcomes": [{"status", "inProgressPolls"?,
                                                   "failedPhase"?, "phaseMessage"?}], "accountId"?, "region"?}
    GET  /moto-api/switchyard/codebuild/builds
    POST /moto-api/switchyard/codebuild/run-builds  (codebuild_executor.py)
    POST /moto-api/switchyard/codebuild/report    (codebuild_executor.py)
"""

from collections import deque
from typing import Any

from moto.codebuild.models import codebuild_backends
from moto.core import DEFAULT_ACCOUNT_ID

import codebuild_executor
from codebuild_phases import FINAL_STATUSES, SCRIPTABLE_PHASES
from codebuild_state import CodeBuildScripting, codebuild_lock, scripting
from control_endpoints import DEFAULT_REGION, ControlError

OUTCOME_KEYS = {"inProgressPolls", "status", "failedPhase", "phaseMessage"}


def _validate_outcome(outcome: Any, index: int) -> dict[str, Any]:
    where = f"outcomes[{index}]"
    if not isinstance(outcome, dict):
        raise ControlError(f"{where} must be an object like {{\"status\": \"FAILED\", \"inProgressPolls\": 2}}")
    unknown = sorted(set(outcome) - OUTCOME_KEYS)
    if unknown:
        raise ControlError(f"{where} has unknown keys {unknown}; allowed: {sorted(OUTCOME_KEYS)}")
    status = outcome.get("status")
    if status not in FINAL_STATUSES:
        raise ControlError(f"{where}.status is {status!r}; expected one of {', '.join(FINAL_STATUSES)}")
    polls = outcome.get("inProgressPolls", 0)
    if not isinstance(polls, int) or isinstance(polls, bool) or polls < 0:
        raise ControlError(f"{where}.inProgressPolls is {polls!r}; expected an integer >= 0")
    phase = outcome.get("failedPhase", "BUILD")
    if phase not in SCRIPTABLE_PHASES:
        raise ControlError(f"{where}.failedPhase is {phase!r}; expected one of {', '.join(SCRIPTABLE_PHASES)}")
    message = outcome.get("phaseMessage")
    if message is not None and not isinstance(message, str):
        raise ControlError(f"{where}.phaseMessage must be a string")
    if status == "SUCCEEDED":
        return {**outcome, "inProgressPolls": polls}
    return {**outcome, "inProgressPolls": polls, "failedPhase": phase}


def control_codebuild_outcomes(body: dict[str, Any]) -> dict[str, Any]:
    """Queue outcomes for the next StartBuilds of a project (the project need not exist yet)."""
    project_name = body.get("projectName")
    if not isinstance(project_name, str) or not project_name:
        raise ControlError("projectName (string) is required")
    outcomes = body.get("outcomes")
    if not isinstance(outcomes, list) or not outcomes:
        raise ControlError("outcomes must be a non-empty list")
    validated = [_validate_outcome(outcome, index) for index, outcome in enumerate(outcomes)]
    backend = codebuild_backends[body.get("accountId") or DEFAULT_ACCOUNT_ID][body.get("region") or DEFAULT_REGION]
    with codebuild_lock:
        queue = scripting(backend).outcomes.setdefault(project_name, deque())
        queue.extend(validated)
        return {"projectName": project_name, "queued": len(queue)}


def control_codebuild_builds() -> dict[str, Any]:
    """Every build started since the last reset, in start order, with its request's overrides."""
    records = []
    with codebuild_lock:
        for account_id, regions in list(codebuild_backends.items()):
            for region, backend in list(regions.items()):
                for script in scripting(backend).builds.values():
                    build = script.build
                    records.append(
                        {
                            "id": build["id"],
                            "arn": build["arn"],
                            "projectName": build["projectName"],
                            "accountId": account_id,
                            "region": region,
                            "startTime": build["startTime"],
                            "buildStatus": build["buildStatus"],
                            "polls": script.polls,
                            "overrides": {k: v for k, v in script.request.items() if k != "projectName"},
                            "outcome": script.outcome if script.scripted else None,
                        }
                    )
    records.sort(key=lambda record: record["startTime"])
    return {"builds": records}


def _codebuild_state(body: dict[str, Any]) -> CodeBuildScripting:
    account = body.get("accountId") or DEFAULT_ACCOUNT_ID
    region = body.get("region") or DEFAULT_REGION
    return scripting(codebuild_backends[account][region])


def control_codebuild_run_builds(body: dict[str, Any]) -> dict[str, Any]:
    """Run each new unscripted build with the launch's executor ("enabled": true), or script them all (false)."""
    unknown = sorted(set(body) - {"enabled", "accountId", "region"})
    if unknown:
        # A command is never taken over HTTP (codebuild_executor.py): say so rather than ignore it.
        raise ControlError(f"unknown keys {unknown}: the build executor is fixed at launch (--build-executor)")
    enabled = body.get("enabled")
    if not isinstance(enabled, bool):
        raise ControlError('"enabled" must be true (run builds with the launch executor) or false (scripted)')
    config = codebuild_executor.launch_executor(ControlError) if enabled else None
    with codebuild_lock:
        _codebuild_state(body).executor = config
    return {"enabled": enabled}


def control_codebuild_report(body: dict[str, Any]) -> dict[str, Any]:
    """An executor reports its build's progress or end."""
    with codebuild_lock:
        script = _codebuild_state(body).builds.get(str(body.get("id")))
        if script is None:
            raise ControlError(f"no build {body.get('id')!r}", status=404)
        codebuild_executor.apply_report(script.build, body.get("update"), ControlError)
        return {"id": script.build["id"], "buildStatus": script.build["buildStatus"]}
