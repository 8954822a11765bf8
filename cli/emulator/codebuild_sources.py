"""CodeBuild's CODECOMMIT source, for Switchyard's emulator: which commit a build of a CodeCommit repository gets.

CodeBuild clones the repository named by the source location (`https://git-codecommit.<region>.amazonaws.com/
v1/repos/<name>`) at StartBuild's `sourceVersion` ("the commit ID, branch, or Git tag to use"; the default
branch when absent): https://docs.aws.amazon.com/codebuild/latest/APIReference/API_StartBuild.html#CodeBuild-StartBuild-request-sourceVersion
and sets `CODEBUILD_RESOLVED_SOURCE_VERSION` to that commit's id ("For CodeCommit, GitHub, GitHub Enterprise
Server, and Bitbucket, it is the commit ID"; for Amazon S3 it "does not apply"):
https://docs.aws.amazon.com/codebuild/latest/userguide/build-env-ref-env-vars.html
Here the repository is the local git repository bound to that name (codecommit_git.py). An S3 source gets no
resolved version, as in CodeBuild.
"""

import re
from typing import Any

from moto.codecommit.models import codecommit_backends

from codecommit_git import BINDING_ATTRIBUTE

LOCATION = re.compile(r"^https://git-codecommit\.([a-z0-9-]+)\.amazonaws\.com/v1/repos/([A-Za-z0-9._-]+)/?$")


def git_source(build: dict[str, Any], account_id: str, region: str) -> dict[str, str] | None:
    """For a CODECOMMIT build: {"gitDir", "commit"}, or {"error"} as CodeBuild's DOWNLOAD_SOURCE would fail."""
    source = build.get("source") or {}
    if source.get("type") != "CODECOMMIT":
        return None
    location = source.get("location") or ""
    match = LOCATION.match(location)
    if match is None:
        return {"error": f"invalid CodeCommit source location {location!r}: expected {LOCATION.pattern}"}
    repository = codecommit_backends[account_id][match.group(1)].repositories.get(match.group(2))
    binding = repository.__dict__.get(BINDING_ATTRIBUTE) if repository is not None else None
    if binding is None:
        return {"error": f"repository not found for primary source and source version: {location}"}
    default = (repository.repository_metadata or {}).get("defaultBranch")
    version = build.get("sourceVersion") or (f"refs/heads/{default}" if default else "HEAD")
    commit = binding.resolve(version)
    if commit is None:
        return {"error": f"reference not found for primary source and source version {version}"}
    return {"gitDir": binding.git_dir, "commit": commit}
