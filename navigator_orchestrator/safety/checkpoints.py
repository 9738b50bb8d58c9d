"""Year checkpoints: proof that a published year is complete, and where `--resume` continues.

After each year is published the run writes, for every design it built,
`.navigator_checkpoints/<database tag>/<scenario_id>/<plan_design_id>/year_YYYY.json` (relative to
the working directory; the tag is the database file's stem and a digest of its resolved path)
naming the database (absolute path), scenario, design, run, config and census hashes, and for
each published table the year's row count and content digest of that scenario and design. Two
databases, scenarios or designs run from one working directory therefore never share a file,
and a checkpoint only ever applies to the (database, scenario, design) it names. The file is written
after the year's publish transaction commits and moved into place atomically, so a checkpoint
never names a year the database does not hold. A checksum over the file's fields catches an
edited or damaged file.

The content digest is order-independent and set-based (one query per table): the sum, as a
128-bit integer, of DuckDB's hash of every row without `run_id` (which differs between runs of
the same inputs). Counting duplicates, unlike XOR, keeps two identical rows from cancelling out.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

import duckdb

from navigator_orchestrator.engine.database import table_exists
from navigator_orchestrator.engine.publish import PUBLISHED_TABLES
from navigator_orchestrator.errors import SafetyError
from navigator_orchestrator.files import write_atomically
from navigator_orchestrator.identity import Identity

CHECKPOINT_DIR = Path(".navigator_checkpoints")


class ResumeRefused(SafetyError):
    """No checkpoint qualifies as a resume point."""


@dataclass
class Checkpoint:
    year: int
    database: str
    scenario_id: str
    plan_design_id: str
    run_id: str
    config_hash: str
    census_hash: str
    created_at: str
    tables: dict[str, dict[str, object]] = field(default_factory=dict)
    # hash() is stable within a DuckDB version (pinned), not across versions.
    duckdb_version: str = ""
    checksum: str = ""

    def body_checksum(self) -> str:
        body = {k: v for k, v in asdict(self).items() if k != "checksum"}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()

    @property
    def identity(self) -> Identity:
        return Identity(Path(self.database), self.scenario_id, self.plan_design_id)


@dataclass
class Verdict:
    path: Path
    checkpoint: Checkpoint | None
    ok: bool
    reason: str = ""



def checkpoint_path(identity: Identity, year: int, directory: Path = CHECKPOINT_DIR) -> Path:
    return identity.subdirectory(directory) / f"year_{year}.json"


def year_digests(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_id: str,
                 year: int) -> dict[str, dict[str, object]]:
    """Row count and content digest of one (scenario, design, year) in every published table."""
    return designs_year_digests(conn, scenario_id, [plan_design_id], year)[plan_design_id]


def designs_year_digests(conn: duckdb.DuckDBPyConnection, scenario_id: str, plan_design_ids: Sequence[str],
                         year: int) -> dict[str, dict[str, dict[str, object]]]:
    """Design -> `year_digests` of each design, with one grouped scan per published table (the
    designs of a run are published together, so their checkpoints are written together)."""
    out: dict[str, dict[str, dict[str, object]]] = {d: {} for d in plan_design_ids}
    for table in PUBLISHED_TABLES:
        found: dict[str, tuple[int, str]] = {}
        if table_exists(conn, table):
            found = {design: (int(rows), digest) for design, rows, digest in conn.execute(
                f"""select t.plan_design_id, count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar
                    from (select * exclude (run_id) from {table}
                          where scenario_id = ? and list_contains(?, plan_design_id) and simulation_year = ?) as t
                    group by t.plan_design_id""",
                [scenario_id, list(plan_design_ids), year],
            ).fetchall()}
        for design in plan_design_ids:
            rows, digest = found.get(design, (0, "0"))
            out[design][table] = {"rows": rows, "digest": digest}
    return out


def write_checkpoint(conn: duckdb.DuckDBPyConnection, *, year: int, identity: Identity, run_id: str,
                     config_hash: str, census_hash: str, directory: Path = CHECKPOINT_DIR,
                     tables: dict[str, dict[str, object]] | None = None) -> Path:
    """Write year Y's checkpoint of one (database, scenario, design) atomically and drop that
    identity's later ones: publishing Y deleted its later years, so they no longer describe it.
    `tables`: the design's `year_digests`, when already computed (computed here otherwise).
    """
    cp = Checkpoint(
        year=year, database=str(identity.database), scenario_id=identity.scenario_id,
        plan_design_id=identity.plan_design_id, run_id=run_id, config_hash=config_hash,
        census_hash=census_hash, created_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        tables=tables if tables is not None else year_digests(conn, identity.scenario_id, identity.plan_design_id, year),
        duckdb_version=duckdb.__version__,
    )
    cp.checksum = cp.body_checksum()
    target = write_atomically(checkpoint_path(identity, year, directory),
                              json.dumps(asdict(cp), indent=2, sort_keys=True))
    for later in list_checkpoints(directory):
        if later.checkpoint and later.checkpoint.year > year and later.checkpoint.identity == identity:
            later.path.unlink(missing_ok=True)
    return target


# A checkpoint is about a kilobyte; anything larger is not one of ours.
_CHECKPOINT_MAX_BYTES = 1_000_000

_TEXT_FIELDS = ("database", "scenario_id", "plan_design_id", "run_id", "config_hash", "census_hash",
                "created_at", "duckdb_version", "checksum")


def _read_bounded(path: Path) -> bytes:
    """The file's bytes, if it is a regular file of at most _CHECKPOINT_MAX_BYTES.

    Opened without blocking (a FIFO in its place would otherwise wait for a writer forever) and
    checked on the open descriptor, so a directory, a device (a link to /dev/zero) or a pipe
    is refused before anything is read. Raises ValueError naming what the path is instead.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ValueError(kind)
        if info.st_size > _CHECKPOINT_MAX_BYTES:
            raise ValueError(f"{info.st_size:,} bytes, too large for a checkpoint")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(_CHECKPOINT_MAX_BYTES + 1)
        if len(data) > _CHECKPOINT_MAX_BYTES:
            raise ValueError("too large for a checkpoint")
        return data
    finally:
        os.close(fd)


def _parse(data: bytes) -> Checkpoint:
    """A Checkpoint from the file's JSON, every field of the type written (ValueError otherwise)."""
    fields = json.loads(data)
    if not isinstance(fields, dict):
        raise ValueError("not a JSON object")
    cp = Checkpoint(**fields)
    if not isinstance(cp.year, int) or isinstance(cp.year, bool):
        raise ValueError(f"year is {cp.year!r}, not a year")
    wrong = [name for name in _TEXT_FIELDS if not isinstance(getattr(cp, name), str)]
    if wrong:
        raise ValueError(f"{', '.join(wrong)} not text")
    if not isinstance(cp.tables, dict) or not all(
            isinstance(d, dict) and type(d.get("rows")) is int and isinstance(d.get("digest"), str)
            for d in cp.tables.values()):
        raise ValueError("tables is not a mapping of table -> {rows, digest}")
    return cp


def read_checkpoint(path: Path) -> Verdict:
    """Parse a checkpoint file; damaged or edited files come back not ok, with the reason.

    Never raises for what is at `path`: a missing or unreadable file, a directory, a pipe, a
    device, a file too large, or JSON with missing or mistyped fields is a not-ok Verdict."""
    try:
        cp = _parse(_read_bounded(Path(path)))
    except OSError as exc:
        return Verdict(Path(path), None, False, f"unreadable ({exc.strerror or type(exc).__name__})")
    except (ValueError, TypeError) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        return Verdict(Path(path), None, False, f"unreadable ({reason})")
    if cp.checksum != cp.body_checksum():
        return Verdict(Path(path), cp, False, "checksum mismatch: the file was edited or damaged")
    return Verdict(Path(path), cp, True)


def list_checkpoints(directory: Path = CHECKPOINT_DIR) -> list[Verdict]:
    """Every checkpoint file under the directory, by year (damaged ones included, not ok)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []

    def key(p: Path) -> tuple[int, str]:
        try:
            return int(p.stem.split("_", 1)[1]), str(p)
        except (IndexError, ValueError):
            return -1, str(p)

    return [read_checkpoint(p) for p in sorted(directory.rglob("year_*.json"), key=key)]


def for_identity(verdicts: list[Verdict], identity: Identity, directory: Path = CHECKPOINT_DIR) -> list[Verdict]:
    """The checkpoints of this (database, scenario, design). A damaged file is kept when it lies
    in this identity's own folder: it may be ours, and the caller says why it cannot be used."""
    own = identity.subdirectory(directory).resolve()
    return [v for v in verdicts
            if (v.checkpoint is not None and v.checkpoint.identity == identity)
            or (v.checkpoint is None and v.path.parent.resolve() == own)]


# Other identities' checkpoints named in one resume refusal (the rest are counted).
_OTHERS_SHOWN = 3


def why_others_do_not_apply(verdicts: list[Verdict], identity: Identity) -> list[str]:
    """One line per other (database, scenario, design) with checkpoints here, this database's
    first: which years, and why they do not apply to `identity` (another database file, e.g. a moved one; another scenario;
    another design)."""
    groups: dict[Identity, list[int]] = {}
    for v in verdicts:
        if v.checkpoint is not None and v.checkpoint.identity != identity:
            groups.setdefault(v.checkpoint.identity, []).append(v.checkpoint.year)
    lines = []
    # This database's other scenarios and designs first, then other databases' checkpoints.
    for other, years in sorted(groups.items(), key=lambda kv: (kv[0].database != identity.database,
                                                               str(kv[0].database), kv[0].label)):
        span = f"{min(years)}-{max(years)}" if len(set(years)) > 1 else str(years[0])
        if other.database != identity.database:
            why = (f"they belong to database {other.database}, not {identity.database} "
                   "(a checkpoint names the file it describes; a moved or copied database starts anew)")
        elif other.scenario_id != identity.scenario_id:
            why = f"they belong to scenario '{other.scenario_id}', not '{identity.scenario_id}'"
        else:
            why = f"they belong to design '{other.plan_design_id}', not '{identity.plan_design_id}'"
        lines.append(f"checkpoints {span} of {other.label}: {why}")
    return lines


def verify(conn: duckdb.DuckDBPyConnection, verdict: Verdict) -> Verdict:
    """Does the database still hold exactly the year this checkpoint describes?"""
    if not verdict.ok or verdict.checkpoint is None:
        return verdict
    cp = verdict.checkpoint
    if cp.duckdb_version and cp.duckdb_version != duckdb.__version__:
        return Verdict(verdict.path, cp, False, f"written with DuckDB {cp.duckdb_version}, this is "
                       f"{duckdb.__version__}; content digests only compare within one version")
    actual = year_digests(conn, cp.scenario_id, cp.plan_design_id, cp.year)
    for table, expected in cp.tables.items():
        got = actual.get(table, {"rows": 0, "digest": "0"})
        if got["rows"] != expected.get("rows"):
            return Verdict(verdict.path, cp, False,
                           f"{table} holds {got['rows']:,} rows for {cp.year}, checkpoint says {expected.get('rows')}")
        if got["digest"] != expected.get("digest"):
            return Verdict(verdict.path, cp, False, f"{table} content for {cp.year} differs from the checkpoint")
    return verdict


def resume_point(conn: duckdb.DuckDBPyConnection, *, identity: Identity, config_hash: str,
                 census_hash: str, start_year: int, directory: Path = CHECKPOINT_DIR,
                 elsewhere: list[str] | None = None) -> tuple[Checkpoint, list[str]]:
    """The latest checkpoint of `identity` that verifies and matches this config and census;
    ResumeRefused otherwise, saying which checkpoints exist and why none applies.

    Also returns why each later checkpoint was passed over (a damaged latest checkpoint means
    resuming from the one before and recomputing its year, never trusting it). `elsewhere`:
    other checkpoint directories the database's run log names for this identity (runs started
    from another working directory), quoted when none is found here.
    """
    everything = list_checkpoints(directory)
    candidates = [v for v in for_identity(everything, identity, directory)
                  if v.checkpoint is None or v.checkpoint.year >= start_year]
    reasons: list[str] = []
    for verdict in reversed(candidates):
        name = verdict.path.name
        if verdict.checkpoint is None or not verdict.ok:
            reasons.append(f"{name}: {verdict.reason}")
            continue
        cp = verdict.checkpoint
        if cp.config_hash != config_hash:
            reasons.append(f"{name}: written with a different configuration")
            continue
        if cp.census_hash != census_hash:
            reasons.append(f"{name}: written with a different census file")
            continue
        checked = verify(conn, verdict)
        if not checked.ok:
            reasons.append(f"{name}: {checked.reason}")
            continue
        return cp, reasons
    here = Path(directory).resolve()
    where = f"{here} for database {identity.database}, scenario '{identity.scenario_id}', design '{identity.plan_design_id}'"
    if not reasons:
        reasons = ["no checkpoints found"]
        # A shared working directory may hold many other runs' checkpoints: a few on the one line.
        others = why_others_do_not_apply(everything, identity)
        reasons += others[:_OTHERS_SHOWN]
        if len(others) > _OTHERS_SHOWN:
            reasons.append(f"and {len(others) - _OTHERS_SHOWN} more identities' checkpoints "
                           "(navigator checkpoint lists them)")
        reasons += [f"this database's runs of {identity.label} wrote checkpoints under {d}; checkpoints are "
                    f"read from the working directory's {CHECKPOINT_DIR}: resume from the directory that holds {d}"
                    for d in (elsewhere or []) if Path(d).resolve() != here]
    raise ResumeRefused(f"cannot resume: no valid checkpoint in {where} ({'; '.join(reasons)}); run without --resume")
