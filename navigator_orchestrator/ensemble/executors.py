"""Where seeds run: a local pool of worker processes, or Ray tasks.

Both run one seed the same way, `run_seed`: a child process `navigator run` (ensemble.worker) of
that seed's config into its own database, with DIR as its working directory, its console output
appended to `DIR/logs/ensemble/seed_<n>.txt`. Each returns a `SeedOutcome` (the database path is
known from DIR), so both executors lead to the same summary, read from the same databases.

- `LocalPool`: at most W seeds at once on this machine, each in its own process (a killed or
  failed seed ends only its own process). W defaults to what the cores and memory allow
  (`default_workers`).
- `RayPool`: one Ray task per seed (`pip install '.[ray]'`), on a Ray instance started here with
  W CPUs, or on an existing cluster attached by `--address` (then every node needs this package
  installed and DIR on storage that every node sees at the same path). Ray's own task retries are
  off: the coordinator retries a failed seed once, the same way for both executors.

Stopping (Ctrl-C, SIGTERM): each running seed gets SIGTERM, which a run answers by closing its
run log as interrupted, keeping every year it published; it is killed if it has not ended after
STOP_SECONDS.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from navigator_orchestrator.ensemble.layout import EnsembleError

STOP_SECONDS = 60.0
POLL_SECONDS = 0.2

# Peak resident memory of one seed's run, estimated from the peaks in docs/performance.md (one
# design: 611-652 MB at 60,000 employees x 5 years, 4.2 GB at 1,000,000 x 10; ten designs: 1,874 MB
# at 60,000 x 5; five designs: 2,134 MB at 60,000 x 10): a fixed part for Python, dbt and DuckDB, a
# part per census employee, and a part per employee for every design after the first. Rounded up
# (the estimate is above every measured peak but the last, 5% under it), so the pool errs towards
# fewer workers.
SEED_MEMORY_BASE = 500 * 2**20
SEED_MEMORY_PER_EMPLOYEE = 6 * 2**10
SEED_MEMORY_PER_EMPLOYEE_PER_EXTRA_DESIGN = 5 * 2**10


@dataclass(frozen=True)
class SeedJob:
    """One attempt at one seed (plain data: it travels to a Ray worker)."""

    seed: int
    directory: str
    config: str
    database: str
    console: str
    resume: bool
    threads: int
    attempt: int
    env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SeedOutcome:
    seed: int
    attempt: int
    returncode: int | None
    seconds: float
    error: str = ""
    host: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _last_error(console: Path, returncode: int | None) -> str:
    """The run's own `Error:` line from its console output, or what ended the process."""
    try:
        with console.open("rb") as fh:
            fh.seek(max(0, console.stat().st_size - 20_000))
            lines = fh.read().decode("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    for line in reversed(lines):
        if line.startswith(("Error: ", "Interrupted (")):
            return line.removeprefix("Error: ")[:500]
        if line.startswith("--- seed "):
            break
    if returncode is not None and returncode < 0:
        return f"the process running it was killed by {signal.Signals(-returncode).name}"
    return f"its run ended with exit status {returncode}"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_seed(job: SeedJob, should_stop: Callable[[], bool] | None = None) -> SeedOutcome:
    """Run one attempt at one seed as a child process and wait for it.

    The child is `navigator run -c CONFIG --database DATABASE --threads T [--resume]` (through
    ensemble.worker), in its own session so a terminal's Ctrl-C reaches only the coordinator, which
    stops it. It is stopped (SIGTERM, then SIGKILL after STOP_SECONDS) when `should_stop()`
    becomes true or this function is interrupted (a cancelled Ray task)."""
    argv = [sys.executable, "-m", "navigator_orchestrator.ensemble.worker", str(job.seed),
            "run", "-c", job.config, "--database", job.database, "--threads", str(job.threads)]
    if job.resume:
        argv.append("--resume")
    console = Path(job.console)
    console.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with console.open("a") as out:
        out.write(f"--- seed {job.seed}, attempt {job.attempt}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M:%S} UTC: "
                  f"navigator {' '.join(argv[4:])}\n")
        out.flush()
        proc = subprocess.Popen(argv, cwd=job.directory, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env={**os.environ, **job.env, "PYTHONUNBUFFERED": "1"},
                                start_new_session=True)
        try:
            while proc.poll() is None:
                if should_stop is not None and should_stop():
                    _stop(proc)
                    break
                time.sleep(POLL_SECONDS)
        except BaseException:
            _stop(proc)
            raise
    rc = proc.returncode
    return SeedOutcome(job.seed, job.attempt, rc, time.perf_counter() - started,
                       "" if rc == 0 else _last_error(console, rc), socket.gethostname())


# ----- sizing ------------------------------------------------------------------------

def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def available_memory() -> int:
    """Bytes of memory available to new processes (Linux MemAvailable; else free pages)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")


def seed_memory(employees: int, designs: int) -> int:
    """Estimated peak bytes of one seed's run (SEED_MEMORY_* above)."""
    per_employee = SEED_MEMORY_PER_EMPLOYEE + SEED_MEMORY_PER_EMPLOYEE_PER_EXTRA_DESIGN * (designs - 1)
    return int(SEED_MEMORY_BASE + employees * per_employee)


def default_workers(employees: int, designs: int, seeds_to_run: int) -> int:
    """As many seeds at once as there are cores and memory for (at least one)."""
    by_memory = available_memory() // seed_memory(employees, designs)
    return max(1, min(usable_cores(), by_memory, max(seeds_to_run, 1)))


def threads_per_seed(workers: int) -> int:
    """dbt and DuckDB threads of each seed's run: the cores shared out among the workers."""
    return max(1, usable_cores() // workers)


# ----- executors ---------------------------------------------------------------------

class LocalPool:
    """At most `workers` seeds at once, each a child process of this one."""

    name = "local"
    on_this_machine = True

    def __init__(self, workers: int):
        self.workers = workers
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="seed")

    def _run(self, job: SeedJob) -> SeedOutcome:
        try:
            return run_seed(job, self._stopping.is_set)
        except OSError as exc:  # the child could not be started (a full disk for its console file)
            return SeedOutcome(job.seed, job.attempt, None, 0.0, f"could not start its run: {exc}")

    def submit(self, job: SeedJob) -> Future:
        return self._pool.submit(self._run, job)

    def wait(self, handles: list[Future]) -> list[tuple[Future, SeedOutcome]]:
        while True:
            done, _ = wait(handles, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if done:
                return [(f, f.result()) for f in handles if f in done]

    def stop(self, handles: list[Future]) -> None:
        self._stopping.set()
        for f in handles:
            f.cancel()
        wait(handles)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _check_reachable(address: str) -> None:
    """EnsembleError unless something accepts a TCP connection at the address's host:port."""
    if address == "auto":
        return
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    try:
        host, port = parsed.hostname, parsed.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise EnsembleError(f"--address {address!r} is not a Ray address; give HOST:PORT of the cluster's head "
                            "(e.g. 10.0.0.5:6379, or ray://HOST:10001 for Ray Client)")
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise EnsembleError(f"--address {address}: nothing answers at {host}:{port} ({exc.strerror or exc}); "
                            "start the Ray cluster (`ray start --head`) or fix the address") from None


class RayPool:
    """One Ray task per seed, at most `workers` in flight."""

    name = "ray"

    def __init__(self, workers: int | None, address: str | None, local_workers: Callable[[], int]):
        try:
            import ray
        except ImportError:
            raise EnsembleError("the ray executor needs Ray, which is not installed: pip install '.[ray]' "
                                "(pip install -e '.[ray]' in a checkout), or use --executor local") from None
        import logging

        self._ray = ray
        if address:
            _check_reachable(address)
            try:
                ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError or its own errors
                detail = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
                raise EnsembleError(f"--address {address}: could not attach to the Ray cluster ({detail}); "
                                    "check the address and that the cluster runs this Ray version") from None
            self._started = False
            self.workers = workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        else:
            self.workers = workers or local_workers()
            ray.init(num_cpus=self.workers, include_dashboard=False, logging_level=logging.ERROR,
                     log_to_driver=False)
            self._started = True
        self.cluster = address or "local"
        self.on_this_machine = not address
        self._task = ray.remote(num_cpus=1, max_retries=0)(run_seed)
        self._jobs: dict[Any, SeedJob] = {}

    def submit(self, job: SeedJob) -> Any:
        ref = self._task.remote(job)
        self._jobs[ref] = job
        return ref

    def _outcome(self, ref: Any) -> SeedOutcome:
        job = self._jobs.pop(ref)
        try:
            return self._ray.get(ref)
        except self._ray.exceptions.RayError as exc:  # the task's worker died, or the task raised
            detail = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
            return SeedOutcome(job.seed, job.attempt, None, 0.0, f"its Ray task failed: {type(exc).__name__}: {detail}")

    def wait(self, handles: list[Any]) -> list[tuple[Any, SeedOutcome]]:
        while True:
            ready, _ = self._ray.wait(handles, num_returns=1, timeout=POLL_SECONDS)
            if ready:
                return [(ref, self._outcome(ref)) for ref in ready]

    def stop(self, handles: list[Any]) -> None:
        for ref in handles:
            self._ray.cancel(ref)  # a KeyboardInterrupt in the task: run_seed stops its child
        if handles:
            self._ray.wait(handles, num_returns=len(handles), timeout=STOP_SECONDS + 10)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()
