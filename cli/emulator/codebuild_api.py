"""CodeBuild's StartBuild, BatchGetBuilds and StopBuild, replaced for Switchyard's emulator.

moto's CodeBuildProjectMetadata writes ISO timestamps, a hard-coded CODECOMMIT source and
environment, ignores every override but sourceVersion/artifactsOverride, and batch_get_builds
marks every build SUCCEEDED on the first call. StartBuild, BatchGetBuilds and StopBuild are
replaced here; the builds are still appended to moto's build_history, so ListBuilds and
ListBuildsForProject keep working.

- StartBuild applies the overrides (codebuild_overrides.py), honours idempotencyToken and takes the next
  outcome queued for the project (codebuild_controls.py), or moto's SUCCEEDED at once; with an executor set, an
  unscripted build is run for real (codebuild_executor.py).
- BatchGetBuilds counts one poll per build asked for and moves a scripted build along (codebuild_phases.py).
- StopBuild ends an in-progress build STOPPED at its current phase (and stops its executor).
"""

import json
import time
from typing import Any

from moto.codebuild import exceptions as codebuild_errors
from moto.codebuild.responses import CodeBuildResponse

import codebuild_executor
import codebuild_sources
from codebuild_overrides import new_build
from codebuild_phases import advance, finish, run_until
from codebuild_state import DEFAULT_OUTCOME, EMULATOR, BuildScript, codebuild_lock, scripting

# Real CodeBuild only issues a new build for a reused token after this long.
IDEMPOTENCY_WINDOW_SECONDS = 5 * 60


def _fingerprint(request: dict[str, Any]) -> str:
    return json.dumps(request, sort_keys=True, separators=(",", ":"))


def start_build(self: CodeBuildResponse) -> str:
    """StartBuild: apply the overrides, honour idempotencyToken, take the next scripted outcome."""
    request = json.loads(self.body or "{}")
    project_name = request.get("projectName") or ""
    backend = self.codebuild_backend
    if project_name not in backend.codebuild_projects:
        raise codebuild_errors.ResourceNotFoundException(
            f"Project cannot be found: arn:aws:codebuild:{self.region}:{self.current_account}:project/{project_name}"
        )
    with codebuild_lock:
        state = scripting(backend)
        token = request.get("idempotencyToken")
        now = time.time()
        if token and token in state.tokens:
            fingerprint, build_id, issued = state.tokens[token]
            if now - issued < IDEMPOTENCY_WINDOW_SECONDS:
                if fingerprint != _fingerprint(request):
                    raise codebuild_errors.InvalidInputException(
                        f"idempotencyToken {token!r} was already used by build {build_id} with different "
                        "parameters; send the same parameters to get that build back, or use a new token"
                    )
                return json.dumps({"build": state.builds[build_id].build})
        queue = state.outcomes.get(project_name)
        outcome = queue.popleft() if queue else DEFAULT_OUTCOME
        number = len(backend.build_history.setdefault(project_name, [])) + 1
        build = new_build(backend, request, number)
        script = BuildScript(build, outcome, request)
        state.builds[build["id"]] = script
        if state.executor is not None and not script.scripted:
            artifacts = request.get("artifactsOverride") or backend.codebuild_projects[project_name].project_metadata.get("artifacts") or {}
            run_until(build, "PROVISIONING", now)
            git = codebuild_sources.git_source(build, backend.account_id, backend.region_name)
            script.process = codebuild_executor.launch(
                state.executor, EMULATOR["endpoint"], build, artifacts, backend.account_id, backend.region_name, git
            )
        if token:
            state.tokens[token] = (_fingerprint(request), build["id"], now)
        backend.build_history[project_name].append(build["id"])
        return json.dumps({"build": build})


def batch_get_builds(self: CodeBuildResponse) -> str:
    """BatchGetBuilds: every id asked for counts as one poll of that build."""
    ids = self._get_param("ids") or []
    for build_id in ids:
        if ":" not in build_id:
            raise codebuild_errors.InvalidInputException("Invalid build ID provided")
    with codebuild_lock:
        state = scripting(self.codebuild_backend)
        builds, not_found = [], []
        for build_id in ids:
            script = state.builds.get(build_id)
            if script is None:
                not_found.append(build_id)
                continue
            if script.process is None:
                advance(script)
            builds.append(script.build)
        return json.dumps({"builds": builds, "buildsNotFound": not_found})


def stop_build(self: CodeBuildResponse) -> str:
    """StopBuild: an in-progress build ends STOPPED at its current phase; a finished one is unchanged."""
    build_id = self._get_param("id") or ""
    if ":" not in build_id:
        raise codebuild_errors.InvalidInputException("Invalid build ID provided")
    with codebuild_lock:
        script = scripting(self.codebuild_backend).builds.get(build_id)
        if script is None:
            raise codebuild_errors.ResourceNotFoundException(f"Build {build_id} does not exist")
        if not script.build["buildComplete"]:
            codebuild_executor.stop(script.process)
            finish(script.build, "STOPPED", time.time())
        return json.dumps({"build": script.build})


def patch_codebuild() -> None:
    """Route StartBuild, BatchGetBuilds and StopBuild to the functions above."""
    CodeBuildResponse.start_build = start_build  # type: ignore[method-assign]
    CodeBuildResponse.batch_get_builds = batch_get_builds  # type: ignore[method-assign]
    CodeBuildResponse.stop_build = stop_build  # type: ignore[method-assign]
