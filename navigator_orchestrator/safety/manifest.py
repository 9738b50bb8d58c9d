"""Which backup files the product made: `<db stem>_backup_manifest.json` beside the database.

The product overwrites `<db stem>_backup.duckdb` and deletes old `<db stem>_backup_<stamp>.duckdb`
copies only when it can prove it made them: the manifest lists every backup it wrote with the
file's identity (inode, size and modification time in nanoseconds) and the row count and
checksum of each table it verified. A file the user put at one of those names, or replaced
since, does not match and is left alone. A lost manifest only means older backups are no longer
pruned; it never means a file is deleted.

The manifest is updated before a new backup takes its names and after, so a crash in between
leaves both the old and the new file provable.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from navigator_orchestrator.errors import SafetyError
from navigator_orchestrator.files import write_atomically

FORMAT = "planwise-navigator backup manifest 1"


class BackupError(SafetyError):
    """A backup could not be taken or verified, or a restore source is unusable."""


@dataclass
class Entry:
    """One backup file the product wrote, under one or more names (hard links)."""

    names: list[str]
    ino: int
    size: int
    mtime_ns: int
    created_at: str
    # table -> {"rows": int, "checksum": str}, as verified when the backup was made
    tables: dict[str, dict[str, object]] = field(default_factory=dict)
    duckdb_version: str = ""

    def matches(self, stat: os.stat_result) -> bool:
        return (self.ino, self.size, self.mtime_ns) == (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def manifest_path(database: Path) -> Path:
    database = Path(database)
    return database.with_name(f"{database.stem}_backup_manifest.json")


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path, follow_symlinks=False)
    except OSError:
        return None


@dataclass
class Manifest:
    path: Path
    database: str
    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def load(cls, database: Path) -> "Manifest":
        """The manifest of this database (empty if none yet).

        Raises BackupError if a file at the manifest's name is not one (the user's file: it is
        never overwritten).
        """
        database = Path(database).resolve()
        path = manifest_path(database)
        if not path.exists() and not path.is_symlink():
            return cls(path, str(database))
        try:
            if not path.is_file() or path.is_symlink() or path.stat().st_size > 16 * 1024 * 1024:
                raise ValueError("not a regular file of a manifest's size")
            data = json.loads(path.read_text())
            if not isinstance(data, dict) or data.get("format") != FORMAT:
                raise ValueError("no manifest format marker")
            entries = [Entry(**e) for e in data.get("entries", [])]
        except (OSError, ValueError, TypeError) as exc:
            raise BackupError(
                f"{path} is not a backup manifest written by navigator ({exc}); it is left as it is: "
                "move it elsewhere, then rerun (backups it listed are then kept, never pruned)"
            ) from None
        return cls(path, str(database), entries)

    def owner(self, path: Path) -> Entry | None:
        """The entry proving the product made the file at `path`, if any."""
        stat = _stat(path)
        if stat is None:
            return None
        for entry in self.entries:
            if Path(path).name in entry.names and entry.matches(stat):
                return entry
        return None

    def owns(self, path: Path) -> bool:
        return self.owner(path) is not None

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def release_name(self, name: str, keep: Entry | None = None) -> None:
        """No entry but `keep` claims `name` any longer (the file there was replaced)."""
        for entry in self.entries:
            if entry is not keep and name in entry.names:
                entry.names.remove(name)
        self.entries = [e for e in self.entries if e.names]

    def save(self) -> None:
        """Write the manifest atomically (owner-only permissions)."""
        body = {"format": FORMAT, "database": self.database,
                "entries": [asdict(e) for e in self.entries]}
        write_atomically(self.path, json.dumps(body, indent=2, sort_keys=True), mode=0o600)
