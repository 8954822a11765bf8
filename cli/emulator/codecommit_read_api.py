"""The emulator's CodeCommit read actions, answered from a bound git repository and shaped as the real API
shapes them: GetBranch, GetCommit, GetFolder, GetFile and GetBlob, each (repository, request parameters) ->
response body. See codecommit_git.py for the behaviour.
"""

import re
from typing import Any, Callable

from codecommit_git_repository import GitFailure, GitRepository
from codecommit_requests import (
    BAD_REF_CHARACTERS,
    CodeCommitError,
    blob_content,
    commit_of,
    entry_at,
    entry_name,
    path_parts,
    required,
)

FILE_MODES = {"100644": "NORMAL", "100664": "NORMAL", "100755": "EXECUTABLE", "120000": "SYMLINK"}
TREE_MODE = "040000"
SUBMODULE_MODE = "160000"
PERSON_LINE = re.compile(rb"^(.*?) ?<([^>]*)> (\d+) ([+-]\d{4})$")


def get_branch(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetBranch: the commit a branch points to."""
    branch = required(params, "branchName", "BranchNameRequiredException", "A branch name")
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
    commit = required(params, "commitId", "CommitIdRequiredException", "A commit ID")
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
    parts = path_parts(folder_path)
    commit = commit_of(repo, params.get("commitSpecifier"))
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
        name = entry_name(entry.name)
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
    file_path = required(params, "filePath", "PathRequiredException", "A file path")
    parts = path_parts(file_path)
    commit = commit_of(repo, params.get("commitSpecifier"))
    entry = entry_at(repo, commit, parts) if parts else None
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
        "fileContent": blob_content(repo, entry.oid, info[1], f"file {file_path}"),
    }


def get_blob(repo: GitRepository, params: dict[str, Any]) -> dict[str, Any]:
    """GetBlob: the base64 content of a blob by id."""
    blob = required(params, "blobId", "BlobIdRequiredException", "A blob ID")
    if not repo.is_object_id(blob):
        raise CodeCommitError("InvalidBlobIdException", f"The blob ID {blob} is not valid: expected a full SHA")
    info = repo.object_info(blob)
    if info is None or info[0] != "blob":
        raise CodeCommitError("BlobIdDoesNotExistException", f"Could not find blob {blob}")
    return {"content": blob_content(repo, blob, info[1], f"blob {blob}")}


OPERATIONS: dict[str, Callable[[GitRepository, dict[str, Any]], dict[str, Any]]] = {
    "get_branch": get_branch,
    "get_commit": get_commit,
    "get_folder": get_folder,
    "get_file": get_file,
    "get_blob": get_blob,
}
