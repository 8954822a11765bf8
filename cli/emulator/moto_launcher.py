#!/usr/bin/env python3
"""Switchyard's AWS emulator: the moto 5.2.1 server plus the patches Switchyard needs.

Used by the jest harness (test/support/global-setup.ts) and by `switchyard local`, both through
cli/emulator/moto.ts. Usage:

    SWITCHYARD_EMULATOR_ACCESS_KEY_ID=... SWITCHYARD_EMULATOR_SECRET_ACCESS_KEY=... \
    python3 cli/emulator/moto_launcher.py --host 127.0.0.1 --port 0 [--parent-pid PID] [--build-executor JSON]

Port 0 lets the OS choose a free port. Once the server accepts connections, one line is printed on
stdout: `moto ready on http://127.0.0.1:<port>`. The request log and tracebacks go to stderr.

This file parses the command line, applies the patches, wires the controls and starts the server. What it
adds to moto (each patch is monkeypatched by a module next to this file; nothing in site-packages is edited):
  1. CodeBuild and CodeCommit timestamps as epoch seconds (moto writes ISO strings, which the
     JSON protocol rejects: the JS SDK throws "Expected real number, got implicit NaN")
     (codecommit_timestamps.py; CodeBuild's builds are written with epoch seconds by 2.).
  2. CodeBuild builds that honour StartBuild's overrides and idempotencyToken, and whose outcome
     can be scripted:  POST /moto-api/switchyard/codebuild/outcomes
     and listed:       GET  /moto-api/switchyard/codebuild/builds
     (codebuild_api.py, codebuild_overrides.py, codebuild_phases.py, codebuild_state.py, codebuild_controls.py)
  3. ELBv2 target health that can be set: POST /moto-api/switchyard/elbv2/target-health (elbv2_target_health.py)
     ELBv2 authenticate-oidc client secrets kept and never described, as AWS does (elbv2_rules.py).
  4. ECS tasks that start over time, then stay RUNNING instead of drifting to STOPPED after one DescribeTasks
     (ecs_task_lifecycle.py).
  5. CodeCommit GetBranch, GetCommit, GetFolder, GetFile and GetBlob served from a local git repository
     bound to a repository name (cli/emulator/codecommit_git.py):
                       POST /moto-api/switchyard/codecommit/repositories
  6. ECS task sets that run ceil(desiredCount x scale) linked tasks, register them in their target groups,
     honour clientToken and report computedDesiredCount, runningCount, pendingCount and a stability
     derived from them (cli/emulator/ecs_task_sets.py); extra STABILIZING describes:
                       POST /moto-api/switchyard/ecs/task-set-stability
  7. Lambda Invoke of Node.js zip functions in a local `node` process, no Docker (cli/emulator/lambda_node.py).
  8. CodeBuild builds that really run: with the executor named at launch (--build-executor) turned on, each
     StartBuild runs the buildspec locally and reports back (cli/emulator/codebuild_executor.py,
     cli/emulator/build-executor.ts):
                    POST /moto-api/switchyard/codebuild/run-builds, POST /moto-api/switchyard/codebuild/report
  9. --parent-pid: the server exits by itself once that process is gone (parent_watchdog.py).
 10. ECS task placement that reckons a task's size as ECS does: task-level memory and cpu (the Fargate shape,
     containers without their own memory) instead of a TypeError (ecs_task_resources.py).
 11. An unexpected exception in moto answered as an `EmulatorFailure` error naming the call, never as an HTML 500
     that the SDK would retry and the pipeline take for a transient AWS error (emulator_failures.py).
 12. Time as AWS takes it (emulator_timings.py, --timings, GET/POST /moto-api/switchyard/timings): targets
     `initial` before `healthy`, `unused` in a group no listener uses, `draining` after deregistration
     (elbv2_target_lifecycle.py, elbv2_target_usage.py); tasks PROVISIONING -> PENDING -> RUNNING.
 13. Injected faults: a seeded share of the calls to chosen services fails with throttling or a 500, before moto
     applies the call or after (emulator_faults.py): POST and GET /moto-api/switchyard/faults
 14. Only the launching process's requests are served (emulator_auth.py): the Host must be this server's, no
     browser request (Origin, CORS preflight; no Access-Control-* header in any answer), AWS requests signed with
     this launch's access key id, controls carrying its secret access key. The credentials come from the
     environment above, never from the command line.
 15. StopExecution's error and cause kept for DescribeExecution, as Step Functions keeps them (sfn_stop_execution.py).
The /moto-api/switchyard/ controls are answered by a middleware in front of moto (control_endpoints.py).
All added state lives on moto's backends, so POST /moto-api/reset clears it with everything else.
"""

import argparse
import os
import socket
import sys
import threading
from typing import Any

EXPECTED_MOTO_VERSION = "5.2.1"
MISSING_MOTO_EXIT_CODE = 3

try:
    import moto
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server
except ImportError as error:
    print(
        f"Switchyard's AWS emulator needs moto {EXPECTED_MOTO_VERSION} for {sys.executable} "
        f"({error}). Install it there with: {sys.executable} -m pip install 'moto[server]=={EXPECTED_MOTO_VERSION}', "
        "or unset SWITCHYARD_PYTHON and let Switchyard find or install one (cli/emulator/python-env.ts)",
        file=sys.stderr,
    )
    sys.exit(MISSING_MOTO_EXIT_CODE)

# No __pycache__ next to the sources (in the repository or in a copy of cli/).
sys.dont_write_bytecode = True
# The modules below sit next to this file (the script's directory is first on sys.path) and import moto,
# so they are imported only once moto is known to be there.
import codebuild_api  # noqa: E402
import codebuild_controls  # noqa: E402
import codebuild_executor  # noqa: E402
import codebuild_state  # noqa: E402
import codecommit_git  # noqa: E402
import codecommit_timestamps  # noqa: E402
import ecs_task_lifecycle  # noqa: E402
import ecs_task_resources  # noqa: E402
import ecs_task_set_control  # noqa: E402
import ecs_task_sets  # noqa: E402
import elbv2_rules  # noqa: E402
import elbv2_target_health  # noqa: E402
import elbv2_target_lifecycle  # noqa: E402
import elbv2_target_usage  # noqa: E402
import emulator_auth  # noqa: E402
import emulator_timings  # noqa: E402
import lambda_node  # noqa: E402
import sfn_stop_execution  # noqa: E402
import sfn_task_tokens  # noqa: E402
from control_endpoints import ControlError, Handler, controls  # noqa: E402
from emulator_failures import reporting_failures  # noqa: E402
from emulator_faults import control_fault_counts, control_faults, injecting_faults  # noqa: E402
from parent_watchdog import watch_parent  # noqa: E402


def control_codecommit_repository(body: dict[str, Any]) -> dict[str, Any]:
    """Bind a CodeCommit repository name to a local git repository."""
    try:
        return codecommit_git.bind_repository(body)
    except codecommit_git.BindError as error:
        raise ControlError(str(error), error.status) from error


def control_task_set_stability(body: dict[str, Any]) -> dict[str, Any]:
    """Make task sets report STABILIZING for a number of DescribeTaskSets (ecs_task_set_control.py)."""
    try:
        return ecs_task_set_control.control_task_set_stability(body)
    except ecs_task_set_control.ControlError as error:
        raise ControlError(str(error), error.status) from error


# The controls under /moto-api/switchyard/, by method and route.
ROUTES: dict[tuple[str, str], Handler] = {
    ("POST", "codebuild/outcomes"): codebuild_controls.control_codebuild_outcomes,
    ("GET", "codebuild/builds"): lambda _body: codebuild_controls.control_codebuild_builds(),
    ("POST", "elbv2/target-health"): elbv2_target_health.control_target_health,
    ("POST", "codecommit/repositories"): control_codecommit_repository,
    ("POST", "codebuild/run-builds"): codebuild_controls.control_codebuild_run_builds,
    ("POST", "codebuild/report"): codebuild_controls.control_codebuild_report,
    ("POST", "ecs/task-set-stability"): control_task_set_stability,
    ("POST", "faults"): control_faults,
    ("GET", "faults"): control_fault_counts,
    ("GET", "timings"): emulator_timings.control_timings,
    ("POST", "timings"): emulator_timings.control_timings,
    ("POST", "stepfunctions/task-tokens"): sfn_task_tokens.control_register,
    ("POST", "stepfunctions/task-tokens/read"): sfn_task_tokens.control_read,
    ("POST", "stepfunctions/task-tokens/close"): sfn_task_tokens.control_close,
}


def apply_patches() -> None:
    """Every patch, once, before the server handles a request."""
    codecommit_timestamps.patch_codecommit_timestamps()
    codebuild_api.patch_codebuild()
    elbv2_target_health.patch_elbv2_target_health()
    elbv2_target_lifecycle.patch_elbv2_target_lifecycle()
    elbv2_target_usage.patch_elbv2_target_usage()
    emulator_timings.patch_reset()
    elbv2_rules.patch_elbv2_rules()
    ecs_task_lifecycle.patch_ecs_task_lifecycle()
    ecs_task_resources.patch_ecs_task_resources()
    codecommit_git.patch_codecommit()
    ecs_task_sets.patch_ecs_task_sets()
    lambda_node.patch_lambda_node()
    sfn_task_tokens.patch_sfn_task_tokens()
    sfn_stop_execution.patch_sfn_stop_execution()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--parent-pid", type=int, help="exit when this process is gone")
    parser.add_argument("--timings", help='JSON like {"healthCheckScale": 0} (emulator_timings.py)')
    parser.add_argument("--build-executor", help='JSON like ["node", "cli/emulator/build-executor.js"]')
    args = parser.parse_args()
    try:
        emulator_auth.configure_launch()
        emulator_timings.configure_launch(args.timings)
        codebuild_executor.configure_launch(args.build_executor, ControlError)
    except (ControlError, emulator_auth.AuthConfigError) as error:
        parser.error(str(error))

    if moto.__version__ != EXPECTED_MOTO_VERSION:
        print(
            f"warning: Switchyard's emulator patches moto {EXPECTED_MOTO_VERSION}; found {moto.__version__}",
            file=sys.stderr,
        )
    apply_patches()
    app = controls(injecting_faults(DomainDispatcherApplication(reporting_failures(create_backend_app))), ROUTES)
    server = make_server(args.host, args.port, app, threaded=True)
    port = server.server_address[1]
    # The guard checks the Host against the port, known only once bound; no request is served before this.
    server.app = emulator_auth.guarded(app, port)
    # moto builds some URLs (Lambda env, CloudFormation custom resources) from MOTO_PORT.
    os.environ["MOTO_PORT"] = str(port)
    lambda_node.set_endpoint(args.host, port)
    codebuild_state.EMULATOR["endpoint"] = f"http://{args.host}:{port}"
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    with socket.create_connection((args.host, port), timeout=10):
        pass
    print(f"moto ready on http://{args.host}:{port}", flush=True)
    try:
        if args.parent_pid:
            watch_parent(args.parent_pid)
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
