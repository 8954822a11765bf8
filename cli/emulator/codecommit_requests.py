"""The request side of the emulator's CodeCommit read API: CodeCommit's error responses, required parameters,
paths, commit specifiers (full id, branch, tag, full ref, HEAD) resolved to commits, entries found by path,
and blob content within CodeCommit's file size quota. See codecommit_git.py for the behaviour.
"""

import base64
import re
from typing import Any

from moto.core.exceptions import JsonRESTError

from codecommit_git_repository import Entry, GitRepository

# CodeCommit User Guide, Quotas (https://docs.aws.amazon.com/codecommit/latest/userguide/limits.html),
# row "File size": "Maximum of 6 MB for any individual file when using the CodeCommit console, APIs, or
# the AWS CLI." GetBlob and GetFile answer FileTooLargeException beyond it. The page does not say whether
# MB means 10^6 or 2^20 bytes; 6 MiB is taken (functions/lib/source/codecommit-tree.ts uses the same), so a
# blob of exactly 6,291,456 bytes is returned and one byte more is refused.
MAX_FILE_BYTES = 6 * 1024 * 1024
# Characters git refuses in ref names (git check-ref-format), plus whitespace; a leading "-" would be an option.
BAD_REF_CHARACTERS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")


class CodeCommitError(JsonRESTError):
    """A CodeCommit error response: `{"__type": error_type, "message": ...}` with HTTP 400."""

    code = 400


def required(params: dict[str, Any], key: str, error_type: str, what: str) -> str:
    value = params.get(key)
    if value is None or value == "":
        raise CodeCommitError(error_type, f"{what} is required but was not specified")
    if not isinstance(value, str):
        raise CodeCommitError("SerializationException", f"{key} must be a string")
    return value


def path_parts(path: str) -> list[str]:
    """`/a/b/`, `a/b` -> ["a", "b"]; "" and "/" -> [] (the root)."""
    stripped = path.strip("/")
    if stripped == "":
        return []
    parts = stripped.split("/")
    if any(part in ("", ".", "..") or "\0" in part or "\n" in part for part in parts):
        raise CodeCommitError("InvalidPathException", f"The path {path} is not valid")
    return parts


def commit_of(repo: GitRepository, specifier: Any) -> str:
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


def entry_at(repo: GitRepository, commit: str, parts: list[str]) -> Entry | None:
    """The entry at `parts` (not the root) in a commit, with its mode; the name matches byte for byte."""
    parent = repo.tree_at(commit, parts[:-1])
    if parent is None:
        return None
    name = parts[-1].encode()
    return next((entry for entry in repo.ls_tree(parent) if entry.name == name), None)


def entry_name(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def blob_content(repo: GitRepository, blob: str, size: int, what: str) -> str:
    if size > MAX_FILE_BYTES:
        raise CodeCommitError(
            "FileTooLargeException",
            f"The {what} is {size} bytes, which exceeds the maximum file size of 6 MB ({MAX_FILE_BYTES} bytes) "
            "for the CodeCommit APIs",
        )
    return base64.b64encode(repo.checked("cat-file", "blob", blob)).decode()
