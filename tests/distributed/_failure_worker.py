"""Run by tests/distributed/test_mpi.py: rank 1 fails (``kill``: SIGKILL, ``raise``, ``exit``: sys.exit(3))
while rank 0 keeps calling collectives; the job must stop, not hang."""

import datetime
import os
import signal
import sys
import time

import ember
import ember.distributed as dist

dist.init_process_group(timeout=datetime.timedelta(seconds=120))
rank, mode = dist.get_rank(), sys.argv[1]
t = ember.ones(1000)
for step in range(600):
    if rank == 1 and step == 3:
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif mode == "raise":
            raise ValueError("rank 1 fails on purpose")
        else:
            sys.exit(3)
    dist.all_reduce(t)
    time.sleep(0.05)
print(f"rank {rank} was not stopped", flush=True)
