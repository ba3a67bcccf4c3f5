"""``DistributedDataParallel``: one model replica per process, gradients averaged over the processes.

Each process runs forward and backward on its share of the batch. As backward produces
gradients, they are copied into buckets (about ``bucket_cap_mb`` each, parameters in reverse
registration order, the order backward tends to produce them, as PyTorch does). A full bucket is
all-reduced at once with a non-blocking ``MPI_Iallreduce`` while backward goes on with the rest
of the model; the end of backward waits for the last buckets and writes the averages into
``.grad``. After ``loss.backward()`` every process holds the gradient of the mean loss over the
global batch, so ``optimizer.step()`` keeps the replicas identical.
"""

from __future__ import annotations

import contextlib

import numpy as np

from ... import _tensor as _T
from ...autograd import engine as _engine
from ...autograd import grad_mode as _gm
from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1024 * 1024  # PyTorch's first bucket is small so its all-reduce starts early

_UNUSED_MSG = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`ember.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs participate "
    "in calculating loss.\nParameter indices which did not receive grad for rank {rank}: {indices}"
)


class _Bucket:
    """A flat buffer holding the gradients of some parameters of one dtype, all-reduced as one message."""

    def __init__(self, params: list, dtype: np.dtype) -> None:
        self.params = params
        self.offsets = []
        n = 0
        for p in params:
            self.offsets.append(n)
            n += p._data.size
        self.buffer = np.zeros(n, dtype=dtype)
        self.pending = len(params)
        self.request = None

    def view(self, i: int) -> np.ndarray:
        p = self.params[i]
        return self.buffer[self.offsets[i]:self.offsets[i] + p._data.size].reshape(p._data.shape)


class DistributedDataParallel(Module):
    """Data parallelism across processes: wrap the model, train as usual, gradients are averaged.

    Args:
        module: the model to replicate; its parameters and buffers are copied from rank 0 at
            construction.
        device_ids, output_device: must be ``None`` (ember runs on the CPU).
        dim: the batch dimension (kept for PyTorch's signature; inputs are not split: each
            process passes its own batch).
        broadcast_buffers: copy rank 0's buffers (e.g. BatchNorm running statistics) to every
            rank at the start of each forward.
        process_group: the group to average over (default: the whole world).
        bucket_cap_mb: bucket size in MiB (default 25; the first bucket is 1 MiB).
        find_unused_parameters: allow parameters that get no gradient in an iteration (they
            count as zero on that rank; a parameter unused on every rank keeps its ``.grad``).
        gradient_as_bucket_view: make ``.grad`` views into the buckets (saves a copy and memory).
        static_graph: accepted for compatibility; it changes nothing here.

    Example:
        >>> dist.init_process_group()
        >>> model = DistributedDataParallel(Net())
        >>> loss_fn(model(x_local), y_local).backward()   # grads now averaged over all ranks
        >>> optimizer.step()
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None, init_sync=True,
                 process_group=None, bucket_cap_mb=None, find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False, delay_all_reduce_named_params=None,
                 param_to_hook_all_reduce=None, mixed_precision=None, device_mesh=None,
                 skip_all_reduce_unused_params=False, bucket_cap_mb_list=None, batched_grad_copy=False,
                 forward_sync_buffers=None) -> None:
        super().__init__()
        from ... import distributed as dist
        from ...distributed import process_group as _pg

        if device_ids is not None or output_device is not None:
            raise ValueError(
                "DistributedDataParallel device_ids and output_device arguments only work with GPU modules; ember "
                f"modules live on the CPU, so pass neither (got device_ids={device_ids}, output_device={output_device})"
            )
        for name, value in (("delay_all_reduce_named_params", delay_all_reduce_named_params),
                            ("param_to_hook_all_reduce", param_to_hook_all_reduce),
                            ("mixed_precision", mixed_precision), ("device_mesh", device_mesh),
                            ("bucket_cap_mb_list", bucket_cap_mb_list)):
            if value is not None:
                raise NotImplementedError(f"ember's DistributedDataParallel does not support {name}")
        if skip_all_reduce_unused_params:
            raise NotImplementedError("ember's DistributedDataParallel does not support skip_all_reduce_unused_params")
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError(
                "DistributedDataParallel is not needed when a module doesn't have any parameter that requires a gradient."
            )
        self.module = module
        pg = _pg._resolve(process_group)
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not a member of process_group")
        self.process_group = pg
        self.dim = dim
        self.broadcast_buffers = True if broadcast_buffers is None else bool(broadcast_buffers)
        self.find_unused_parameters = bool(find_unused_parameters)
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self.static_graph = bool(static_graph)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        cap = 25 if bucket_cap_mb is None else bucket_cap_mb
        self.bucket_bytes_cap = int(cap * 1024 * 1024)
        self._dist = dist
        self._params = params
        self._check_same_shapes()
        if init_sync:
            self._broadcast([*module.parameters(), *module.buffers()])
        self._buckets, self._slots = self._make_buckets(params, _FIRST_BUCKET_BYTES if bucket_cap_mb is None else self.bucket_bytes_cap)
        self._reset_iteration()
        self._sync_this_backward = False
        self._unfinished: list[int] | None = None
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]

    # ------------------------------------------------------------------ construction
    def _check_same_shapes(self) -> None:
        shapes = [tuple(p.shape) for p in self._params]
        everyone = [None] * self.process_group.size()
        self._dist.all_gather_object(everyone, shapes, group=self.process_group)
        for r, theirs in enumerate(everyone):
            if theirs != shapes:
                raise RuntimeError(
                    f"DistributedDataParallel: the model's parameters differ between ranks (rank {self._dist.get_rank()} "
                    f"has {len(shapes)} parameters, group rank {r} has {len(theirs)}, or their shapes differ)"
                )

    def _broadcast(self, tensors: list) -> None:
        """Rank 0's values into ``tensors`` on every rank, all messages in flight at once."""
        root = self.process_group._ranks[0]
        works = [self._dist.broadcast(t, src=root, group=self.process_group, async_op=True) for t in tensors]
        for w in works:
            w.wait()

    def _make_buckets(self, params: list, first_cap: int):
        buckets, slots = [], {}
        current: list = []
        cap = first_cap
        size = 0
        for p in reversed(params):
            nbytes = p._data.nbytes
            if current and (size + nbytes > cap or p._data.dtype != current[0]._data.dtype):
                buckets.append(_Bucket(current, current[0]._data.dtype))
                current, size, cap = [], 0, self.bucket_bytes_cap
            current.append(p)
            size += nbytes
        if current:
            buckets.append(_Bucket(current, current[0]._data.dtype))
        for b, bucket in enumerate(buckets):
            for i, p in enumerate(bucket.params):
                slots[id(p)] = (b, i)
        return buckets, slots

    # ------------------------------------------------------------------ forward
    @contextlib.contextmanager
    def no_sync(self):
        """Inside this block backward only accumulates gradients locally (gradient accumulation);
        the first backward after it averages the accumulated gradients."""
        prev = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = prev

    def forward(self, *inputs, **kwargs):
        if self._unfinished is not None:
            indices, self._unfinished = self._unfinished, None
            raise RuntimeError(_UNUSED_MSG.format(rank=self._dist.get_rank(), indices=" ".join(map(str, indices))))
        self._sync_this_backward = self.require_backward_grad_sync and _gm.is_grad_enabled()
        if self.broadcast_buffers and self.require_forward_param_sync and self.process_group.size() > 1:
            buffers = list(self.module.buffers())
            if buffers:
                self._broadcast(buffers)
        return self.module(*inputs, **kwargs)

    # ------------------------------------------------------------------ backward
    def _reset_iteration(self) -> None:
        for bucket in self._buckets:
            bucket.pending = len(bucket.params)
            bucket.request = None
        self._ready = set()
        self._next_bucket = 0
        self._callback_queued = False

    def _grad_ready(self, param) -> None:
        """Post-accumulate-grad hook: put the gradient in its bucket; all-reduce full buckets in order."""
        if not self._sync_this_backward:
            return
        if not self._callback_queued:
            _engine.queue_callback(self._finish_backward)
            self._callback_queued = True
        key = id(param)
        if key in self._ready:
            return
        self._ready.add(key)
        b, i = self._slots[key]
        bucket = self._buckets[b]
        np.copyto(bucket.view(i), param.grad._data, casting="unsafe")
        bucket.pending -= 1
        if bucket.pending == 0:
            self._launch_ready()
        else:
            self._progress()

    def _launch_ready(self) -> None:
        """Start the all-reduce of every full bucket, in bucket order (all ranks must issue them alike)."""
        from ...distributed import _mpi
        from ...distributed.collectives import _datatype

        MPI = _mpi.mpi()
        n = self.process_group.size()
        while self._next_bucket < len(self._buckets) and self._buckets[self._next_bucket].pending == 0:
            bucket = self._buckets[self._next_bucket]
            if bucket.buffer.dtype.kind == "f":
                np.divide(bucket.buffer, bucket.buffer.dtype.type(n), out=bucket.buffer)
            bucket.request = self.process_group._comm.Iallreduce(
                MPI.IN_PLACE, [bucket.buffer, _datatype(bucket.buffer.dtype)], MPI.SUM
            )
            self._next_bucket += 1

    def _progress(self) -> None:
        """Let MPI advance the all-reduces in flight (it only progresses inside MPI calls)."""
        reqs = [b.request for b in self._buckets[:self._next_bucket] if b.request is not None]
        if reqs:
            from ...distributed import _mpi

            _mpi.mpi().Request.Testall(reqs)

    def _finish_backward(self) -> None:
        """End of backward: all-reduce what is left, wait, write the averaged gradients into ``.grad``."""
        from ...distributed._work import wait_requests

        missing = [i for i, p in enumerate(self._params) if id(p) not in self._ready]
        used = None
        if self.find_unused_parameters:  # every rank takes part, whether or not it has unused parameters
            used = np.ones(len(self._params), dtype=np.int32)
            for i in missing:
                p = self._params[i]
                used[i] = 0
                b, j = self._slots[id(p)]
                self._buckets[b].view(j)[...] = 0
                self._buckets[b].pending -= 1
            self._launch_ready()
            self._dist.all_reduce(_T.Tensor._wrap(used), group=self.process_group)
        elif missing:
            self._unfinished = missing
        launched = self._buckets[:self._next_bucket]
        wait_requests([b.request for b in launched], self.process_group, "DistributedDataParallel gradient all-reduce")
        index = {id(p): i for i, p in enumerate(self._params)} if used is not None else None
        for bucket in launched:
            for j, p in enumerate(bucket.params):
                if index is not None and used[index[id(p)]] == 0:
                    continue  # no rank used it: its .grad stays as it was
                avg = bucket.view(j)
                if self.gradient_as_bucket_view:
                    p._grad = _T.Tensor._wrap(avg)
                elif p._grad is None:
                    p._grad = _T.Tensor._wrap(avg.copy())
                else:
                    np.copyto(p._grad._data, avg, casting="unsafe")
                    p._grad._version[0] += 1
        self._reset_iteration()
        self._sync_this_backward = False  # each forward arms one backward

    def extra_repr(self) -> str:
        return f"world_size={self.process_group.size()}, buckets={len(self._buckets)}"
