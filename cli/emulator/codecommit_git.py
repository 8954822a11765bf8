"""CodeCommit's read API served from local git repositories, for Switchyard's emulator.

moto 5.2.1 implements only Create/Get/DeleteRepository for CodeCommit. Once a repository name is bound
to a local git repository (worktree or bare) with the control

    POST /moto-api/switchyard/codecommit/repositories  {"name", "path", "accountId"?, "region"?}

GetBranch, GetCommit, GetFolder, GetFile and GetBlob on that name are answered from the repository with
`git` (rev-parse, cat-file, ls-tree), shaped as the real API shapes them (AWS JSON 1.1; errors as
`{"__type": "...Exception", "message": "..."}` with HTTP 400). The binding lives on moto's repository
object, so DeleteRepository and POST /moto-api/reset drop it with the repository.

A repository that moto does not know answers RepositoryDoesNotExistException; one that it knows but
that is not bound behaves as in moto (the action is not implemented). Every other CodeCommit action
is moto's. Only `git` on PATH is needed.

This module binds repositories and routes the actions; the actions are in codecommit_read_api.py, request
parsing in codecommit_requests.py, git itself in codecommit_git_repository.py.
"""

import json
import os
from typing import Any, Callable

from moto.codecommit.exceptions import InvalidRepositoryNameException, RepositoryDoesNotExistException
from moto.codecommit.models import CodeCommit, codecommit_backends
from moto.codecommit.responses import CodeCommitResponse, _is_repository_name_valid
from moto.core import DEFAULT_ACCOUNT_ID

from codecommit_git_repository import GitRepository, run_git
from codecommit_read_api import OPERATIONS
from codecommit_requests import CodeCommitError

DEFAULT_REGION = "us-east-1"
BINDING_ATTRIBUTE = "switchyard_git"
REPOSITORY_NAME_MAX = 100


class BindError(Exception):
    """A bad request to the binding control; the launcher turns it into its JSON error response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --------------------------------------------------------------------------------------------
# moto glue
# --------------------------------------------------------------------------------------------


def _valid_repository_name(name: str) -> bool:
    return 0 < len(name) <= REPOSITORY_NAME_MAX and _is_repository_name_valid(name)


def _handler(action: str, operation: Callable[[GitRepository, dict[str, Any]], dict[str, Any]]) -> Any:
    def method(self: CodeCommitResponse) -> str:
        name = self._get_param("repositoryName")
        if not name:
            raise CodeCommitError("RepositoryNameRequiredException", "A repository name is required")
        if not isinstance(name, str) or not _valid_repository_name(name):
            raise InvalidRepositoryNameException()
        repository = self.codecommit_backend.repositories.get(name)
        if repository is None:
            raise RepositoryDoesNotExistException(name)
        binding = repository.__dict__.get(BINDING_ATTRIBUTE)
        if binding is None:
            # What moto answers today for an action it does not implement.
            raise NotImplementedError(f"The {action} action has not been implemented")
        try:
            params = json.loads(self.body or "{}")
        except ValueError as error:
            raise CodeCommitError("SerializationException", f"The request body is not JSON: {error}") from error
        if not isinstance(params, dict):
            raise CodeCommitError("SerializationException", "The request body must be a JSON object")
        return json.dumps(operation(binding, params))

    method.__name__ = action
    return method


def patch_codecommit() -> None:
    """Give moto's CodeCommitResponse the read actions, served for bound repositories."""
    for action, operation in OPERATIONS.items():
        setattr(CodeCommitResponse, action, _handler(action, operation))


def _inspect(path: str) -> tuple[str, int, str | None]:
    """(git dir, object id length, default branch) of the repository whose root is `path`."""
    result = run_git(["-C", path, "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-object-format"])
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip()
        raise BindError(f"path {path} is not a git repository (git rev-parse: {reason})")
    bare, git_dir, object_format = result.stdout.decode().splitlines()[:3]
    real = os.path.realpath(path)
    if bare != "true" and os.path.realpath(git_dir) != real:
        top = run_git(["-C", path, "rev-parse", "--show-toplevel"])
        toplevel = top.stdout.decode().strip()
        if top.returncode != 0 or os.path.realpath(toplevel) != real:
            raise BindError(
                f"path {path} is inside the git repository at {toplevel or git_dir} but is not its root: "
                "bind the repository's root (its worktree or its bare directory)"
            )
    elif bare == "true" and os.path.realpath(git_dir) != real:
        raise BindError(f"path {path} is inside the bare git repository {git_dir}: bind {git_dir}")
    hex_length = {"sha1": 40, "sha256": 64}.get(object_format.strip(), 40)
    repository = GitRepository(path, git_dir, hex_length)
    head = repository.git("symbolic-ref", "--quiet", "HEAD")
    branch = head.stdout.decode().strip()
    default = None
    if head.returncode == 0 and branch.startswith("refs/heads/") and repository.resolve(branch):
        default = branch[len("refs/heads/") :]
    return git_dir, hex_length, default


def bind_repository(body: dict[str, Any]) -> dict[str, Any]:
    """Serve CodeCommit repository `name` from the git repository at `path` (created in moto if missing)."""
    name, path = body.get("name"), body.get("path")
    if not isinstance(name, str) or not _valid_repository_name(name):
        raise BindError(
            f"name is {name!r}; expected a CodeCommit repository name: 1 to {REPOSITORY_NAME_MAX} letters, "
            "digits, '.', '_' or '-'"
        )
    if not isinstance(path, str) or not os.path.isabs(path):
        raise BindError(f"path is {path!r}; expected the absolute path of a git worktree or bare repository")
    if not os.path.isdir(path):
        raise BindError(f"path {path} is not a directory")
    git_dir, hex_length, default_branch = _inspect(path)
    account_id = body.get("accountId") or DEFAULT_ACCOUNT_ID
    region = body.get("region") or DEFAULT_REGION
    backend = codecommit_backends[account_id][region]
    repository: CodeCommit | None = backend.repositories.get(name)
    created = repository is None
    if repository is None:
        backend.create_repository(name, f"Served by the Switchyard emulator from the git repository at {path}")
        repository = backend.repositories[name]
    if default_branch is not None:
        repository.repository_metadata["defaultBranch"] = default_branch
    repository.__dict__[BINDING_ATTRIBUTE] = GitRepository(path, git_dir, hex_length)
    return {
        "name": name,
        "path": path,
        "gitDir": git_dir,
        "accountId": account_id,
        "region": region,
        "created": created,
        "repositoryMetadata": repository.repository_metadata,
    }
