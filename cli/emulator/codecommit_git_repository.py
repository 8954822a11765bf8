"""A local git repository as the emulator's CodeCommit reads it: git run on its git directory (no discovery,
no inherited GIT_* variables, a timeout), objects looked up by id or `<commit>:<path>`, trees listed with raw
names. git failing where it should not is GitFailure (HTTP 500). See codecommit_git.py for the behaviour.
"""

import os
import subprocess
from dataclasses import dataclass

from moto.core.exceptions import JsonRESTError

GIT_TIMEOUT_SECONDS = 60


class GitFailure(JsonRESTError):
    """git failed where it should not have (repository moved, corrupt, unreadable): HTTP 500, the cause in the message."""

    code = 500

    def __init__(self, message: str):
        super().__init__("InternalFailure", message)


def _git_environment() -> dict[str, str]:
    # GIT_DIR, GIT_WORK_TREE, GIT_INDEX_FILE... inherited from a caller (a git hook, say) would redirect
    # every command to another repository.
    environment = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    environment.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C")
    return environment


def run_git(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
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
        return run_git(["--git-dir", self.git_dir, *args], stdin)

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
