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
"""

import base64
import json
import os
import re
import subprocess
from dataclasses import dataclass
from typing import Any, Callable

from moto.codecommit.exceptions import InvalidRepositoryNameException, RepositoryDoesNotExistException
from moto.codecommit.models import CodeCommit, codecommit_backends
from moto.codecommit.responses import CodeCommitResponse, _is_repository_name_valid
from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError

DEFAULT_REGION = "us-east-1"
BINDING_ATTRIBUTE = "switchyard_git"

# CodeCommit User Guide, Quotas (https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html),
# row "File size": "Maximum of 6 MB for any individual file when using the CodeCommit console, APIs, or
# the AWS CLI." GetBlob and GetFile answer FileTooLargeException beyond it. The page does not say whether
# MB means 10^6 or 2^20 bytes; 6 MiB is taken (functions/lib/codecommit-tree.ts uses the same), so a
# blob of exactly 6,291,456 bytes is returned and one byte more is refused.
MAX_FILE_BYTES = 6 * 1024 * 1024
REPOSITORY_NAME_MAX = 100
GIT_TIMEOUT_SECONDS = 60

FILE_MODES = {"100644": "NORMAL", "100664": "NORMAL", "100755": "EXECUTABLE", "120000": "SYMLINK"}
TREE_MODE = "040000"
SUBMODULE_MODE = "160000"
# Characters git refuses in ref names (git check-ref-format), plus whitespace; a leading "-" would be an option.
BAD_REF_CHARACTERS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
PERSON_LINE = re.compile(rb"^(.*?) ?<([^>]*)> (\d+) ([+-]\d{4})$")


class CodeCommitError(JsonRESTError):
    """A CodeCommit error response: `{"__type": error_type, "message": ...}` with HTTP 400."""

    code = 400


class GitFailure(JsonRESTError):
    """git failed where it should not have (repository moved, corrupt, unreadable): HTTP 500, the cause in the message."""

    code = 500

    def __init__(self, message: str):
        super().__init__("InternalFailure", message)


class BindError(Exception):
    """A bad request to the binding control; the launcher turns it into its JSON error response."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _git_environment() -> dict[str, str]:
    # GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE... inherited from a caller (a git hook, say) would redirect
    # every command to another repository.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    return environment


def _run_git(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", "-c", "core.quotepath=off", *args],
            input=stdin,
            capture_output=True,
            env=_git_environment(),
            timeout=GIT_TIMEOUT_SECONDS,
            check=False,
        )
    except FileNotFoundError as error:
        raise GitFailure("git is not installed (not on PATH): the emulator needs it to serve CodeCommit") from error
    except subprocess.TimeoutExpired as error:
        raise GitFailure(f"git {' '.join(args)} took more than {GIT_TIMEOUT_SECONDS} s") from error


@dataclass(frozen=True)
class Entry:
    """One line of `git ls-tree -z`."""

    mode: str
    kind: str
    oid: str
    name: bytes


@dataclass(frozen=True)
class GitRepository:
    """A local git repository bound to a CodeCommit repository name."""

    path: str
    git_dir: str
    hex_length: int

    def git(self, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        """Run git on this repository (by its git directory: no discovery up the directory tree)."""
        return _run_git(["--git-dir", self.git_dir, *args], stdin)

    def checked(self, *args: str) -> bytes:
        """git's stdout; a failure is a GitFailure (HTTP 500) with git's message."""
        result = self.git(*args)
        if result.returncode != 0:
            raise GitFailure(
                f"git {' '.join(args)} failed in {self.path}: {result.stderr.decode(errors='replace').strip()}"
            )
        return result.stdout

    def is_object_id(self, value: str) -> bool:
        """Whether `value` is a full object id (40 hex digits, 64 in a SHA-256 repository), lower case."""
        return len(value) == self.hex_length and all(c in "0123456789abcdef" for c in value)

    def lookup(self, name: str) -> tuple[str, str, int] | None:
        """(id, type, size) of an object named by id or `<commit>:<path>`, or None if there is none."""
        result = self.git("cat-file", "--batch-check", stdin=f"{name}\n".encode())
        if result.returncode != 0:
            reason = result.stderr.decode(errors="replace").strip()
            raise GitFailure(f"git cat-file --batch-check failed in {self.path}: {reason}")
        # "<id> <type> <size>", or "<name> missing" where the name may itself contain spaces.
        fields = result.stdout.decode(errors="replace").rstrip("\n").rsplit(" ", 2)
        if len(fields) != 3 or not self.is_object_id(fields[0]) or not fields[2].isdigit():
            return None
        return fields[0], fields[1], int(fields[2])

    def object_info(self, oid: str) -> tuple[str, int] | None:
        """(type, size) of a full object id, or None if the repository has no such object."""
        found = self.lookup(oid)
        return None if found is None else (found[1], found[2])

    def tree_at(self, commit: str, parts: list[str]) -> str | None:
        """The id of the folder at `parts` in a commit (one git call at any depth), or None if it is no folder."""
        # `<commit>:<path>` takes the path literally (no pathspec, no globbing); "." and ".." parts and
        # newlines are refused before this.
        found = self.lookup(f"{commit}:{'/'.join(parts)}")
        return found[0] if found is not None and found[1] == "tree" else None

    def resolve(self, revision: str) -> str | None:
        """The commit a revision (HEAD, refs/heads/x, ...) names, or None."""
        result = self.git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}")
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def ls_tree(self, tree: str) -> list[Entry]:
        """The entries of a tree, names as raw bytes (`-z`: no quoting, whatever core.quotepath says)."""
        entries = []
        for record in self.checked("ls-tree", "-z", tree).split(b"\0"):
            if not record:
                continue
            meta, _, name = record.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            entries.append(Entry(mode, kind, oid, name))
        return entries


# --------------------------------------------------------------------------------------------
# Request parsing
# --------------------------------------------------------------------------------------------


def _required(params: dict[str, Any], key: str, error_type: str, what: str) -> str:
    value = params.get(key)
    if value is None or value == "":
        raise CodeCommitError(error_type, f"{what} is required but was not specified")
    if not isinstance(value, str):
        raise CodeCommitError("SerializationException", f"{key} must be a string")
    return value


def _path_parts(path: str) -> list[str]:
    """`/a/b/`, `a/b` -> ["a", "b"]; "" and "/" -> [] (the root)."""
    stripped = path.strip("/")
    if stripped == "":
        return []
    parts = stripped.split("/")
    if any(part in ("", ".", "..") or "\0" in part or "\n" in part for part in parts):
        raise CodeCommitError("InvalidPathException", f"The path {path} is not valid")
    return parts


def _commit_of(repo: GitRepository, specifier: Any) -> str:
    """A commit specifier (full commit id, branch, tag, full ref, HEAD; none: HEAD) -> commit id."""
    if specifier is None or specifier == "":
        commit = repo.resolve("HEAD")
        if commit is None:
            raise CodeCommitError(
                "CommitDoesNotExistException",
                "No commit was specified, and the repository has no default branch with commits",
            )
        return commit
    if not isinstance(specifier, str):
        raise CodeCommitError("SerializationException", "commitSpecifier must be a string")
    if repo.is_object_id(specifier):
        # CodeCommit forbids branch names of exactly 40 hexadecimal characters, so this is an id.
        info = repo.object_info(specifier)
        if info is None:
            raise CodeCommitError("CommitDoesNotExistException", f"Could not find commit {specifier}")
        if info[0] != "commit":
            raise CodeCommitError("InvalidCommitException", f"{specifier} is a {info[0]}, not a commit")
        return specifier
    if specifier == "HEAD":
        candidates = ["HEAD"]
    elif (
        specifier.startswith(("-", "/", "."))
        or specifier.endswith(("/", ".", ".lock"))
        or ".." in specifier
        or "@{" in specifier
        or "//" in specifier
        or BAD_REF_CHARACTERS.search(specifier)
    ):
        raise CodeCommitError("InvalidCommitException", f"The commit specifier {specifier} is not valid")
    elif specifier.startswith("refs/"):
        candidates = [specifier]
    else:
        candidates = [f"refs/heads/{specifier}", f"refs/tags/{specifier}"]
    for candidate in candidates:
        commit = repo.resolve(candidate)
        if commit is not None:
            return commit
    raise CodeCommitError("CommitDoesNotExistException", f"Could not find commit {specifier}")


def _entry(repo: GitRepository, commit: str, parts: list[str]) -> Entry | None:
    """The entry at `parts` (not the root) in a commit, with its mode; the name matches byte for byte."""
    parent = repo.tree_at(commit, parts[:-1])
    if parent is None:
        return None
    name = parts[-1].encode()
    return next((entry for entry in repo.ls_tree(parent) if entry.name == name), None)


def _name(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _blob_content(repo: GitRepository, blob: str, size: int, what: str) -> str:
    if size > MAX_FILE_BYTES:
        raise CodeCommitError(
            "FileTooLargeException",
            f"The {what} is {size} bytes, which exceeds the maximum file size of 6 MB ({MAX_FILE_BYTES} bytes) "
            "for the CodeCommit APIs",
        )
    return base64.b64encode(repo.checked("cat-file", "blob", blob)).decode()


# --------------------------------------------------------------------------------------------
# Operations: (repository, request parameters) -> response body
# --------------------------------------------------------------------------------------------


def get_branch(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetBranch: the commit a branch points to."""
    branch = _required(params, "branchName", "BranchNameRequiredException", "A branch name")
    if branch.startswith("-") or ".." in branch or "@{" in branch or BAD_REF_CHARACTERS.search(branch):
        raise CodeCommitError("InvalidBranchNameException", f"The branch name {branch} is not valid")
    commit = repo.resolve(f"refs/heads/{branch}")
    if commit is None:
        raise CodeCommitError("BranchDoesNotExistException", f"Could not find branch {branch}")
    return {"branch": {"branchName": branch, "commitId": commit}}


def _person(line: bytes, encoding: str) -> dict[str, str]:
    match = PERSON_LINE.match(line)
    if match is None:
        return {"name": line.decode(encoding, errors="replace"), "email": "", "date": ""}
    name, email, seconds, offset = match.groups()
    # The API's format: epoch seconds and the UTC offset, as git stores them ("1484167798 -0800").
    return {
        "name": name.decode(encoding, errors="replace"),
        "email": email.decode(encoding, errors="replace"),
        "date": f"{seconds.decode()} {offset.decode()}",
    }


def get_commit(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetCommit: tree, parents, message, author and committer of a full commit id."""
    commit = _required(params, "commitId", "CommitIdRequiredException", "A commit ID")
    if not repo.is_object_id(commit):
        raise CodeCommitError("InvalidCommitIdException", f"The commit ID {commit} is not valid: expected a full SHA")
    info = repo.object_info(commit)
    if info is None or info[0] != "commit":
        raise CodeCommitError("CommitIdDoesNotExistException", f"Could not find commit {commit}")
    raw = repo.checked("cat-file", "commit", commit)
    header, _, message = raw.partition(b"\n\n")
    headers: dict[bytes, list[bytes]] = {}
    for line in header.split(b"\n"):
        if line.startswith(b" "):
            continue  # continuation of a multi-line header (gpgsig, mergetag)
        key, _, value = line.partition(b" ")
        headers.setdefault(key, []).append(value)
    encoding = (headers.get(b"encoding") or [b"utf-8"])[0].decode()
    try:
        "".encode(encoding)
    except LookupError:
        encoding = "utf-8"
    return {
        "commit": {
            "commitId": commit,
            "treeId": headers[b"tree"][0].decode(),
            "parents": [parent.decode() for parent in headers.get(b"parent", [])],
            "message": message.decode(encoding, errors="replace"),
            "author": _person(headers[b"author"][0], encoding),
            "committer": _person(headers[b"committer"][0], encoding),
            "additionalData": "",
        }
    }


def get_folder(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetFolder: the entries of one folder of a commit, split by kind."""
    folder_path = params.get("folderPath")
    if folder_path is None:
        raise CodeCommitError("PathRequiredException", "The folderPath for a location cannot be null")
    if not isinstance(folder_path, str):
        raise CodeCommitError("SerializationException", "folderPath must be a string")
    parts = _path_parts(folder_path)
    commit = _commit_of(repo, params.get("commitSpecifier"))
    tree = repo.tree_at(commit, parts)
    if tree is None:
        raise CodeCommitError("FolderDoesNotExistException", f"Folder {folder_path} does not exist at {commit}")
    prefix = "".join(f"{part}/" for part in parts)
    body: dict[str, Any] = {
        "commitId": commit,
        "folderPath": "/".join(parts),
        "treeId": tree,
        "subFolders": [],
        "files": [],
        "symbolicLinks": [],
        "subModules": [],
    }
    for entry in repo.ls_tree(tree):
        name = _name(entry.name)
        paths = {"absolutePath": prefix + name, "relativePath": name}
        if entry.mode == SUBMODULE_MODE:
            body["subModules"].append({"commitId": entry.oid, **paths})
        elif entry.kind == "tree":
            body["subFolders"].append({"treeId": entry.oid, **paths})
        elif FILE_MODES.get(entry.mode) == "SYMLINK":
            body["symbolicLinks"].append({"blobId": entry.oid, **paths, "fileMode": "SYMLINK"})
        else:
            body["files"].append({"blobId": entry.oid, **paths, "fileMode": FILE_MODES.get(entry.mode, "NORMAL")})
    return body


def get_file(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetFile: one file of a commit by path, with its content."""
    file_path = _required(params, "filePath", "PathRequiredException", "A file path")
    parts = _path_parts(file_path)
    commit = _commit_of(repo, params.get("commitSpecifier"))
    entry = _entry(repo, commit, parts) if parts else None
    if entry is None or entry.kind != "blob":
        raise CodeCommitError("FileDoesNotExistException", f"File {file_path} does not exist at {commit}")
    info = repo.object_info(entry.oid)
    if info is None:
        raise GitFailure(f"blob {entry.oid} of {file_path} is missing from {repo.path}")
    return {
        "commitId": commit,
        "blobId": entry.oid,
        "filePath": "/".join(parts),
        "fileMode": FILE_MODES.get(entry.mode, "NORMAL"),
        "fileSize": info[1],
        "fileContent": _blob_content(repo, entry.oid, info[1], f"file {file_path}"),
    }


def get_blob(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetBlob: the base64 content of a blob by id."""
    blob = _required(params, "blobId", "BlobIdRequiredException", "A blob ID")
    if not repo.is_object_id(blob):
        raise CodeCommitError("InvalidBlobIdException", f"The blob ID {blob} is not valid: expected a full SHA")
    info = repo.object_info(blob)
    if info is None or info[0] != "blob":
        raise CodeCommitError("BlobIdDoesNotExistException", f"Could not find blob {blob}")
    return {"content": _blob_content(repo, blob, info[1], f"blob {blob}")}


OPERATIONS: dict[str, Callable[[GitRepository, dict[str, Any]], dict[str, Any]]] = {
    "get_branch": get_branch,
    "get_commit": get_commit,
    "get_folder": get_folder,
    "get_file": get_file,
    "get_blob": get_blob,
}


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
    result = _run_git(["-C", path, "rev-parse", "--is-bare-repository", "--absolute-git-dir", "--show-object-format"])
    if result.returncode != 0:
        reason = result.stderr.decode(errors="replace").strip()
        raise BindError(f"path {path} is not a git repository (git rev-parse: {reason})")
    bare, git_dir, object_format = result.stdout.decode().splitlines()[:3]
    real = os.path.realpath(path)
    if bare != "true" and os.path.realpath(git_dir) != real:
        top = _run_git(["-C", path, "rev-parse", "--show-toplevel"])
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
