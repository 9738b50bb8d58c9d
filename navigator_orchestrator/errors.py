"""Errors of the operational guards (lock, backup, checkpoints, run log).

Each message is one line that names the problem and the fix; the CLI prints it as `Error: ...`.
"""


class SafetyError(RuntimeError):
    """A guard refused to let a run or a recovery step go ahead."""
