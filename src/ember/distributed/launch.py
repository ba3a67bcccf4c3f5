"""``ember launch``: start N processes of a script through the MPI implementation's ``mpiexec``.

A thin wrapper: it finds ``mpiexec`` (next to the Python interpreter, as ``pip install mpich``
puts it, else on ``PATH``), passes the hosts in the spelling of that implementation (MPICH's
Hydra or Open MPI), and when a rank dies it names that rank. The MPI launcher stops the other
ranks as soon as one exits abnormally; ``ember.distributed`` makes a rank that raises abort the
job, so a failure never leaves the others hanging.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

__all__ = ["LaunchError", "build_command", "find_mpiexec", "in_mpi_job", "launch"]

_INSTALL = "pip install 'ember[distributed]'"


class LaunchError(RuntimeError):
    """No MPI launcher, or arguments it cannot take."""


def find_mpiexec() -> str:
    """The ``mpiexec`` to use: ``$EMBER_MPIEXEC``, the one beside this Python, or the one on ``PATH``."""
    given = os.environ.get("EMBER_MPIEXEC")
    if given:
        return given
    beside = Path(sys.executable).parent / "mpiexec"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which("mpiexec") or shutil.which("mpirun")
    if found:
        return found
    raise LaunchError(f"ember launch needs an MPI launcher (mpiexec) and found none: {_INSTALL}")


def in_mpi_job() -> bool:
    """True inside a process started by an MPI launcher (Hydra, Open MPI, Slurm's PMI)."""
    return any(k in os.environ for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"))


def _flavour(mpiexec: str) -> str:
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
        text = out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired):
        return "hydra"
    return "openmpi" if "Open MPI" in text or "OpenRTE" in text else "hydra"


def build_command(nproc: int, program: list[str], hosts: str | None = None, hostfile: str | None = None,
                  mpiexec: str | None = None, python: str | None = None) -> list[str]:
    """The ``mpiexec`` command line that runs ``python program...`` as ``nproc`` ranks."""
    if nproc < 1:
        raise LaunchError(f"the number of processes must be >= 1, got {nproc}")
    if hosts and hostfile:
        raise LaunchError("give --hosts or --hostfile, not both")
    mpiexec = mpiexec or find_mpiexec()
    cmd = [mpiexec, "-n", str(nproc)]
    flavour = _flavour(mpiexec) if (hosts or hostfile) else "hydra"
    if hosts:
        cmd += ["--host", hosts] if flavour == "openmpi" else ["-hosts", hosts]
    if hostfile:
        cmd += ["--hostfile", hostfile] if flavour == "openmpi" else ["-f", hostfile]
    return cmd + [python or sys.executable, *program]


_DEAD = re.compile(r"PID (\d+) RUNNING AT (\S+)")
_CODE = re.compile(r"EXIT CODE: (\d+)")


def _describe(code: int) -> str:
    """Hydra reports a process killed by a signal with the signal's number as its exit code."""
    import signal

    try:
        return f"exit code {code} ({signal.Signals(code).name})" if 0 < code < 32 else f"exit code {code}"
    except ValueError:
        return f"exit code {code}"


def launch(nproc: int, program: list[str], hosts: str | None = None, hostfile: str | None = None,
           env: dict | None = None) -> int:
    """Run ``python program...`` as ``nproc`` MPI ranks; returns the job's exit code.

    When a rank dies, prints which one (rank, host, pid and how it ended) after the launcher's report.
    """
    cmd = build_command(nproc, program, hosts, hostfile)
    fd, ranks_file = tempfile.mkstemp(prefix="ember-launch-", suffix=".ranks")
    os.close(fd)
    child_env = dict(os.environ if env is None else env)
    child_env["EMBER_LAUNCH_RANKS"] = ranks_file
    dead_pid = dead_host = dead_code = None
    watch = _FirstToDie(ranks_file)
    try:
        proc = subprocess.Popen(cmd, env=child_env, stdout=subprocess.PIPE, bufsize=0)
        watch.start()
        # Relay the ranks' output as it comes, watching for the launcher's report of a dead process.
        for raw in iter(proc.stdout.readline, b""):
            sys.stdout.buffer.write(raw)
            sys.stdout.buffer.flush()
            line = raw.decode(errors="replace")
            m = _DEAD.search(line)
            if m and dead_pid is None:
                dead_pid, dead_host = int(m.group(1)), m.group(2)
            m = _CODE.search(line)
            if m and dead_code is None:
                dead_code = int(m.group(1))
        code = proc.wait()
        watch.stop()
        if code != 0:
            if watch.first is not None:  # seen dying first on this host: the launcher's report may name a rank it killed after
                dead_pid = watch.first
                dead_host = watch.host
            rank = _self_reported(ranks_file)  # a rank that raised says so before it aborts the job
            if rank is not None:
                dead_pid, dead_host = _process_of(ranks_file, rank)
            else:
                rank = _rank_of(ranks_file, dead_pid)
            who = f"rank {rank}" if rank is not None else "a rank"
            where = f" (pid {dead_pid} on {dead_host})" if dead_pid is not None else ""
            how = f": {_describe(dead_code)}" if dead_code is not None else ""
            print(f"ember launch: {who}{where} failed{how}; the job was stopped (exit code {code})",
                  file=sys.stderr, flush=True)
        return code
    except KeyboardInterrupt:
        proc.wait()
        return 130
    finally:
        Path(ranks_file).unlink(missing_ok=True)
        Path(ranks_file + ".failed").unlink(missing_ok=True)


class _FirstToDie:
    """Watches this host's rank processes (from the table rank 0 writes) and remembers the first one to go.

    When one rank dies, mpiexec kills the others and reports one PID, not always the one that died
    first; waiting on the ranks' pidfds (polling the PIDs every millisecond where there are none) tells which
    went first on this host.
    """

    def __init__(self, ranks_file: str):
        self.ranks_file, self.first, self.host = ranks_file, None, socket.gethostname()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ember-launch-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join(timeout=1.0)

    def _local_pids(self) -> list[int]:
        return [pid for _rank, host, pid in _rank_table(self.ranks_file) if host == self.host]

    def _run(self) -> None:
        pids: list[int] = []
        while not pids:
            if self._done.wait(0.001):
                return
            pids = self._local_pids()  # written once every rank has called init_process_group
        try:
            fds = {os.pidfd_open(pid): pid for pid in pids}
        except (AttributeError, OSError):  # no pidfds (not Linux >= 5.3), or a rank already gone
            return self._poll(pids)
        try:
            self._wait_first(fds)
        finally:
            for fd in fds:
                os.close(fd)

    def _wait_first(self, fds: dict) -> None:
        """Block in the kernel until a rank exits: woken within microseconds, before mpiexec has killed the
        others, so the first to go is the only one ready (two ready at once: mpiexec's report decides)."""
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLIN)
        while not self._done.is_set():
            ready = poller.poll(50)
            if ready:
                self.first = fds[ready[0][0]] if len(ready) == 1 else None
                return

    def _poll(self, pids: list[int]) -> None:
        while not self._done.wait(0.001):
            gone = [pid for pid in pids if not _alive(pid)]
            if gone:
                # two gone within one millisecond: no telling which was first, so mpiexec's report decides
                self.first = gone[0] if len(gone) == 1 else None
                return


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (OSError, IndexError):
        return True


def _self_reported(ranks_file: str) -> int | None:
    """The first rank that wrote itself as failed (ember's uncaught-exception hook does, before aborting)."""
    try:
        return int(Path(ranks_file + ".failed").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _rank_table(ranks_file: str) -> list[tuple[int, str, int]]:
    """(rank, host, pid) of every rank, from the table rank 0 writes at ``init_process_group``; empty while it
    is not written yet (or half-written)."""
    try:
        text = Path(ranks_file).read_text()
        if not text.endswith("\n"):
            return []
        return [(int(rank), host, int(pid)) for rank, host, pid in (line.split() for line in text.splitlines())]
    except (OSError, ValueError):
        return []


def _process_of(ranks_file: str, rank: int) -> tuple[int | None, str | None]:
    """(pid, host) of ``rank``."""
    return next(((pid, host) for r, host, pid in _rank_table(ranks_file) if r == rank), (None, None))


def _rank_of(ranks_file: str, pid: int | None) -> int | None:
    """The rank whose process had ``pid``."""
    return next((r for r, _host, p in _rank_table(ranks_file) if p == pid), None)
