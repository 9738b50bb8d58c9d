"""One seed's run, as the child process an executor starts:
`python -m navigator_orchestrator.ensemble.worker SEED run -c DIR/seed_SEED.yaml --database ...`.

It is `navigator run` itself (`cli.main`), started with DIR as its working directory, so a seed's
database, checkpoints, reports and logs are exactly those of an ordinary run.

Fault point (for the operations tests): with NAVIGATOR_ENSEMBLE_KILL_SEED=SEED and
NAVIGATOR_ENSEMBLE_KILL_MARKER=PATH in the environment, the run of that seed kills its own process
(SIGKILL, as the kernel's out-of-memory killer or an operator would) right after its first year
is published and checkpointed by every design, once: it creates PATH first, and does nothing while PATH exists.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from navigator_orchestrator.reporting.observe import RunObserver

KILL_SEED = "NAVIGATOR_ENSEMBLE_KILL_SEED"
KILL_MARKER = "NAVIGATOR_ENSEMBLE_KILL_MARKER"


class _KillOnce(RunObserver):
    def __init__(self, marker: Path):
        self.marker = marker
        self.last_design = ""

    def run_started(self, info) -> None:
        self.last_design = info.plan_design_ids[-1]

    def year_finished(self, summary, audit) -> None:
        if summary.plan_design_id != self.last_design:  # not yet finished by every design
            return
        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)


def fault_observers(seed: int) -> list[RunObserver]:
    marker = os.environ.get(KILL_MARKER)
    if marker and os.environ.get(KILL_SEED) == str(seed):
        return [_KillOnce(Path(marker))]
    return []


def main(argv: list[str]) -> int:
    from navigator_orchestrator.cli import main as navigator

    seed, *run_args = argv
    return navigator(run_args, observers=fault_observers(int(seed)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
