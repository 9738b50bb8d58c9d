"""The one atomic-write helper: a reader sees the old content or the new, never a part."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from navigator_orchestrator.files import atomic_path, write_atomically
from navigator_orchestrator.safety.permissions import private_files


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_write_atomically_replaces_the_content_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "reports" / "summary.json"  # the directory is created
    assert write_atomically(target, "first") == target
    assert write_atomically(target, b"\x00second") == target
    assert target.read_bytes() == b"\x00second"
    assert leftovers(target.parent) == []


def test_until_the_block_ends_readers_see_the_old_content(tmp_path):
    target = tmp_path / "checkpoint.json"
    target.write_text("old")
    with atomic_path(target) as tmp:
        tmp.write_text("new, half written")
        assert target.read_text() == "old"
        assert tmp.parent == target.parent  # a rename within one directory
    assert target.read_text() == "new, half written"


def test_a_failure_while_writing_keeps_the_target_and_removes_the_temporary_file(tmp_path):
    target = tmp_path / "report.csv"
    target.write_text("the last good report")
    with pytest.raises(RuntimeError, match="disk trouble"):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("disk trouble")
    assert target.read_text() == "the last good report"
    assert leftovers(tmp_path) == []


def test_a_failure_before_anything_was_written_leaves_no_file(tmp_path):
    target = tmp_path / "never.json"
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(target):
            raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_mode_is_applied_before_the_file_takes_its_name(tmp_path):
    previous = os.umask(0)  # the most permissive umask: the mode alone decides
    try:
        target = write_atomically(tmp_path / "manifest.json", "{}", mode=0o600)
        open_file = write_atomically(tmp_path / "open.json", "{}")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(open_file.stat().st_mode) == 0o666  # without mode: the umask's


def test_inside_a_command_new_files_and_directories_are_owner_only(tmp_path):
    previous = os.umask(0)
    try:
        with private_files():
            target = write_atomically(tmp_path / "logs" / "db" / "year.json", "{}", durable=False)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_a_symlink_at_the_target_is_replaced_not_written_through(tmp_path):
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("not ours")
    target = tmp_path / "report.html"
    target.symlink_to(elsewhere)
    write_atomically(target, "<html></html>", durable=False)
    assert not target.is_symlink() and target.read_text() == "<html></html>"
    assert elsewhere.read_text() == "not ours"


def test_a_failed_write_names_the_target_never_the_temporary_file(tmp_path):
    taken = tmp_path / "checkpoint.json"
    taken.mkdir()  # a directory where the file belongs
    with pytest.raises(OSError) as raised:
        write_atomically(taken, "x")
    assert str(raised.value).startswith(f"cannot write {taken}: a directory is at that name")
    assert ".tmp" not in str(raised.value) and leftovers(tmp_path) == []

    blocked = tmp_path / "not_a_directory"
    blocked.write_text("a file where a folder of the path belongs")
    with pytest.raises(OSError) as raised:
        write_atomically(blocked / "reports" / "summary.json", "x")
    assert raised.value.filename == str(blocked / "reports") and ".tmp" not in str(raised.value)
