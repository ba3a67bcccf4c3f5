"""DistributedSampler: the same index streams as PyTorch's for the same arguments."""

import pytest

import ember
from ember.utils.data import DistributedSampler, TensorDataset
from ember.utils.data.distributed import torch_randperm

torch = pytest.importorskip("torch")
from torch.utils.data.distributed import DistributedSampler as TorchSampler  # noqa: E402


class _Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


@pytest.mark.parametrize("n,seed", [(0, 0), (1, 3), (2, 0), (10, 0), (97, 12345), (1000, 2**33 + 7), (5000, -4)])
def test_randperm_matches_torch_bit_for_bit(n, seed):
    g = torch.Generator().manual_seed(seed)
    assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


@pytest.mark.parametrize("n", [1, 7, 10, 33, 100])
@pytest.mark.parametrize("replicas", [1, 2, 3, 8])
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("shuffle", [True, False])
def test_streams_equal_torch_for_every_rank_and_epoch(n, replicas, drop_last, shuffle):
    if drop_last and n < replicas:
        pytest.skip("every rank would get nothing")
    for seed in (0, 41):
        for rank in range(replicas):
            ours = DistributedSampler(_Sized(n), replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
            theirs = TorchSampler(_Sized(n), replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
            for epoch in (0, 1, 5):
                ours.set_epoch(epoch)
                theirs.set_epoch(epoch)
                assert list(ours) == list(theirs), (seed, rank, epoch)
                assert len(ours) == len(theirs)


def test_rank_out_of_range_raises_like_torch():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(_Sized(4), num_replicas=2, rank=2)


def test_defaults_need_a_process_group():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(_Sized(4))


def test_works_in_a_dataloader_and_shards_cover_the_dataset():
    ds = TensorDataset(ember.arange(10))
    seen = []
    for rank in range(2):
        loader = ember.utils.data.DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, rank, seed=1))
        seen += [int(v) for (b,) in loader for v in b]
    assert sorted(seen) == list(range(10))
