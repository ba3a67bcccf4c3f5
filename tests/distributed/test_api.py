"""ember.distributed in one process without an MPI job: availability, errors before init, the launcher."""

import sys

import pytest

import ember
import ember.distributed as dist
from ember.autograd import engine
from ember.distributed import launch as L

NOT_INIT = "Default process group has not been initialized, please make sure to call init_process_group."


def test_availability_flags():
    assert dist.is_available() is True
    assert dist.is_gloo_available() is False and dist.is_nccl_available() is False
    assert isinstance(dist.is_mpi_available(), bool)
    assert dist.is_initialized() is False


@pytest.mark.parametrize("call", [
    lambda: dist.get_rank(), lambda: dist.get_world_size(), lambda: dist.get_backend(), lambda: dist.barrier(),
    lambda: dist.all_reduce(ember.ones(2)), lambda: dist.broadcast(ember.ones(2), 0), lambda: dist.new_group([0]),
    lambda: dist.destroy_process_group(), lambda: dist.all_gather_object([None], 1),
])
def test_calls_before_init_raise_torchs_error(call):
    with pytest.raises(ValueError) as info:
        call()
    assert str(info.value) == NOT_INIT


def test_other_backends_fail_with_one_line_naming_mpi():
    for name in ("gloo", "nccl"):
        with pytest.raises(ValueError, match="ember.distributed has one backend, 'mpi'"):
            dist.init_process_group(name)
    assert not dist.is_initialized()


def test_init_method_tcp_is_refused():
    with pytest.raises(ValueError, match="takes ranks from the MPI launcher"):
        dist.init_process_group("mpi", init_method="tcp://127.0.0.1:1234")


def test_reduce_op_names():
    assert {op.name for op in dist.ReduceOp.RedOpType} == {"SUM", "AVG", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"}
    assert dist.ReduceOp.SUM is dist.ReduceOp.RedOpType.SUM


def test_launch_command_uses_mpiexec_and_hosts(monkeypatch):
    monkeypatch.setattr(L, "_flavour", lambda exe: "hydra")
    cmd = L.build_command(3, ["train.py", "--x"], hosts="a,b", mpiexec="/opt/mpiexec", python="/py")
    assert cmd == ["/opt/mpiexec", "-n", "3", "-hosts", "a,b", "/py", "train.py", "--x"]
    monkeypatch.setattr(L, "_flavour", lambda exe: "openmpi")
    cmd = L.build_command(2, ["-m", "ember"], hostfile="hf", mpiexec="/opt/mpirun", python="/py")
    assert cmd == ["/opt/mpirun", "-n", "2", "--hostfile", "hf", "/py", "-m", "ember"]
    with pytest.raises(L.LaunchError, match="not both"):
        L.build_command(2, ["x.py"], hosts="a", hostfile="b", mpiexec="/m")


def test_missing_mpiexec_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.delenv("EMBER_MPIEXEC", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(L.LaunchError, match=r"pip install 'ember\[distributed\]'"):
        L.find_mpiexec()
    from ember.cli import main

    assert main(["launch", "-n", "2", "script.py"]) == 2


def test_queue_callback_runs_once_backward_has_finished():
    w = ember.ones(3, requires_grad=True)
    seen = []

    def hook(p):
        engine.queue_callback(lambda: seen.append(("callback", p.grad.numpy().tolist())))

    w.register_post_accumulate_grad_hook(hook)
    (w * 2).sum().backward()
    assert seen == [("callback", [2.0, 2.0, 2.0])]
    with pytest.raises(RuntimeError, match="only be installed during backward"):
        engine.queue_callback(lambda: None)


def test_sync_batchnorm_without_process_group_is_batchnorm():
    torch = pytest.importorskip("torch")
    import numpy as np

    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    ours = ember.nn.SyncBatchNorm(3)
    theirs = torch.nn.BatchNorm1d(3)
    np.testing.assert_allclose(ours(ember.from_numpy(x)).detach().numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="expected at least 2D input"):
        ours(ember.ones(3))


def test_convert_sync_batchnorm_shares_parameters_and_buffers():
    bn = ember.nn.BatchNorm2d(4)
    model = ember.nn.Sequential(ember.nn.Conv2d(1, 4, 3), bn)
    model.eval()
    converted = ember.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model and type(model[1]) is ember.nn.SyncBatchNorm
    assert model[1].weight is bn.weight and model[1].running_mean is bn.running_mean
    assert model[1].training is False
    single = ember.nn.SyncBatchNorm.convert_sync_batchnorm(ember.nn.BatchNorm1d(2))
    assert type(single) is ember.nn.SyncBatchNorm


def test_only_the_rank_that_failed_tells_the_launcher(tmp_path, monkeypatch, capsys):
    """ember launch names the rank whose uncaught exception aborted the job; a rank that gave up waiting for a
    peer (PeerFailure) does not claim to be it."""
    from ember.distributed import process_group as pg

    table = tmp_path / "job.ranks"
    monkeypatch.setenv("EMBER_LAUNCH_RANKS", str(table))
    peer = pg.PeerFailure("ember.distributed: rank 1 exited while rank 0 was waiting for it in all_reduce")
    pg._excepthook(pg.PeerFailure, peer, None)
    assert not (tmp_path / "job.ranks.failed").exists()
    pg._excepthook(ValueError, ValueError("boom"), None)
    assert (tmp_path / "job.ranks.failed").read_text() == "0\n"
    assert "rank 0 failed with ValueError" in capsys.readouterr().err
    assert issubclass(pg.PeerFailure, RuntimeError)  # existing handlers of the waiting error still catch it
