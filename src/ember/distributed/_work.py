"""Waiting for MPI requests without hanging: the ``Work`` object of ``async_op=True``.

Every wait polls non-blocking requests (``MPI_Testall``), so it can notice, while waiting, that
a rank it needs has exited, and give up after the group's timeout, instead of blocking forever
inside MPI. It spins at first (MPI makes progress only inside MPI calls, and most collectives
finish within milliseconds), then yields the CPU, then sleeps, so a rank waiting for a slow peer
does not steal the core that peer is computing on.
"""

from __future__ import annotations

import time

from . import _mpi
from . import process_group as _pg

# After a rank's exit notice arrives, a request involving it may still complete (the rank left
# right after its part of the exchange was done); only after this grace period is it an error.
_GRACE_S = 2.0
_SPIN_S = 0.05
_YIELD_S = 1.0


def wait_requests(requests: list, pg, what: str, members=None, timeout: float | None = None, statuses=None) -> None:
    """Block until every request completes; raise ``RuntimeError`` if a member rank left or time runs out."""
    if not requests:
        return
    MPI = _mpi.mpi()
    testall = MPI.Request.Testall
    if statuses is not None:
        def testall(reqs, _test=MPI.Request.Testall):
            return _test(reqs, statuses)
    if testall(requests):
        return
    members = pg._ranks if members is None else members
    timeout = pg._timeout if timeout is None else timeout
    start = time.monotonic()
    gone_since = None
    delay = 1e-4
    while True:
        for _ in range(64):
            if testall(requests):
                return
        now = time.monotonic()
        gone = _pg._gone(m for m in members if m != _pg._me())
        if gone:
            gone_since = gone_since or now
            if now - gone_since > _GRACE_S:
                names = ", ".join(map(str, gone))
                raise _pg.PeerFailure(
                    f"ember.distributed: rank {names} exited while rank {_pg._me()} was waiting for it in {what}; "
                    "stopping this rank too"
                )
        if now - start > timeout:
            raise _pg.PeerFailure(
                f"ember.distributed: {what} on rank {_pg._me()} timed out after {timeout:g} s waiting for ranks "
                f"{[m for m in members if m != _pg._me()]} (the group's timeout; see init_process_group(timeout=...))"
            )
        elapsed = now - start
        if elapsed < _SPIN_S:
            continue
        if elapsed < _YIELD_S:
            time.sleep(0)
        else:
            time.sleep(delay)
            delay = min(delay * 2, 5e-3)


class Work:
    """A pending operation (``async_op=True``, ``isend``, ``irecv``): ``wait()`` blocks until it is done.

    Outputs that could not be written in place (non-contiguous tensors, lists of tensors) are
    filled when the operation completes, in ``wait()`` or the ``is_completed()`` that sees it done.
    """

    def __init__(self, requests: list, pg, what: str, members=None, finish=None, result=None, statuses=None):
        self._requests = requests
        self._statuses = statuses
        self._pg = pg
        self._what = what
        self._members = members
        self._finish = finish
        self._result = result if result is not None else []
        self._done = False
        self._exception: BaseException | None = None
        self._source = None

    def _complete(self) -> None:
        self._done = True
        if self._finish is not None:
            src = self._finish()
            self._finish = None
            if src is not None:
                self._source = src

    def is_completed(self) -> bool:
        """True once the operation has finished (non-blocking)."""
        if not self._done and (not self._requests or _mpi.mpi().Request.Testall(self._requests, self._statuses)):
            self._complete()
        return self._done

    def wait(self, timeout=None) -> bool:
        """Block until done (at most the group's timeout, or ``timeout``, a ``timedelta``); returns True."""
        if self._done:
            return True
        seconds = None if timeout is None else _pg._timeout_seconds(timeout)
        try:
            wait_requests(self._requests, self._pg, self._what, self._members, seconds, self._statuses)
        except RuntimeError as e:
            self._exception = e
            raise
        self._complete()
        return True

    def is_success(self) -> bool:
        return self._done and self._exception is None

    def exception(self):
        return self._exception

    def result(self) -> list:
        """The output tensors of the operation."""
        return list(self._result)

    def source_rank(self) -> int:
        """For ``irecv`` from any source: the rank the message came from."""
        if self._source is None:
            raise RuntimeError("source_rank: the operation has not completed or is not a receive")
        return self._source

    def __repr__(self) -> str:
        return f"Work({self._what}, completed={self._done})"
