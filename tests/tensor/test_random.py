"""Randomness: reproducible under a seed, independent Generators, saved/restored state,
and samples with the right support and moments (exact numbers differ from PyTorch's)."""

import numpy as np
import pytest

import ember

SAMPLERS = {
    "rand": lambda g: ember.rand(3, 4, generator=g),
    "randn": lambda g: ember.randn(3, 4, generator=g),
    "randint": lambda g: ember.randint(0, 100, (5,), generator=g),
    "randperm": lambda g: ember.randperm(10, generator=g),
    "normal": lambda g: ember.normal(0.0, 1.0, (4,), generator=g),
    "normal_tensor": lambda g: ember.normal(ember.zeros(4), ember.ones(4), generator=g),
    "bernoulli": lambda g: ember.bernoulli(ember.full((8,), 0.5), generator=g),
    "multinomial": lambda g: ember.multinomial(ember.tensor([0.2, 0.3, 0.5]), 2, generator=g),
    "multinomial_replacement": lambda g: ember.multinomial(ember.tensor([0.2, 0.3, 0.5]), 6, replacement=True, generator=g),
    "uniform_": lambda g: ember.empty(4).uniform_(-1, 1, generator=g),
    "normal_": lambda g: ember.empty(4).normal_(generator=g),
    "random_": lambda g: ember.empty(4).random_(0, 10, generator=g),
    "bernoulli_": lambda g: ember.empty(4).bernoulli_(0.5, generator=g),
    "exponential_": lambda g: ember.empty(4).exponential_(generator=g),
}


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_manual_seed_makes_the_default_stream_reproducible(name):
    sample = SAMPLERS[name]
    ember.manual_seed(123)
    first = sample(None).tolist()
    ember.manual_seed(123)
    assert sample(None).tolist() == first
    ember.manual_seed(124)
    assert name in ("bernoulli", "bernoulli_", "multinomial") or sample(None).tolist() != first


@pytest.mark.parametrize("name", list(SAMPLERS))
def test_generator_is_an_independent_seeded_stream(name):
    sample = SAMPLERS[name]
    g = ember.Generator().manual_seed(7)
    expected = sample(g).tolist()
    ember.manual_seed(0)
    g2 = ember.Generator().manual_seed(7)
    ember.rand(100)  # drawing from the default stream does not disturb g2
    assert sample(g2).tolist() == expected


def test_new_generators_start_from_pytorchs_default_seed():
    assert ember.Generator().initial_seed() == 67280421310721
    assert ember.rand(3, generator=ember.Generator()).tolist() == ember.rand(3, generator=ember.Generator()).tolist()


def test_manual_seed_returns_the_generator_and_sets_initial_seed():
    g = ember.Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert ember.manual_seed(9) is ember.default_generator and ember.initial_seed() == 9
    g.manual_seed(-1)  # PyTorch accepts negative seeds
    assert g.initial_seed() == -1


def test_rng_state_round_trip_replays_the_same_numbers():
    ember.manual_seed(3)
    ember.rand(5)
    state = ember.get_rng_state()
    assert isinstance(state, ember.Tensor) and state.dtype is ember.uint8
    after = ember.randn(4).tolist()
    ember.rand(10)
    ember.set_rng_state(state)
    assert ember.randn(4).tolist() == after


def test_generator_state_round_trip():
    g = ember.Generator().manual_seed(11)
    state = g.get_state()
    a = ember.rand(3, generator=g).tolist()
    assert g.set_state(state) is g
    assert ember.rand(3, generator=g).tolist() == a


def test_set_state_refuses_garbage():
    with pytest.raises(RuntimeError, match="not a state produced by"):
        ember.Generator().set_state(ember.zeros(4, dtype=ember.uint8))


def test_generator_device_is_cpu_only():
    assert ember.Generator("cpu").device == ember.device("cpu")
    with pytest.raises(RuntimeError, match="Cannot get CUDA generator without ATen_cuda library"):
        ember.Generator("cuda")


def test_rand_is_uniform_on_the_unit_interval():
    ember.manual_seed(0)
    x = ember.rand(20000).numpy()
    assert x.dtype == np.float32 and x.min() >= 0.0 and x.max() < 1.0
    assert abs(x.mean() - 0.5) < 0.01 and abs(x.var() - 1 / 12) < 0.005


def test_randn_is_standard_normal_in_the_requested_dtype():
    ember.manual_seed(0)
    x = ember.randn(20000, dtype=ember.float64).numpy()
    assert x.dtype == np.float64
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03


def test_randint_covers_the_half_open_range_in_int64():
    ember.manual_seed(0)
    x = ember.randint(3, 7, (5000,))
    assert x.dtype is ember.int64 and set(x.tolist()) == {3, 4, 5, 6}
    assert ember.randint(5, (3,)).max().item() < 5
    assert ember.randint(0, 5, size=(2, 2), dtype=ember.int32).dtype is ember.int32


def test_randperm_is_a_permutation():
    ember.manual_seed(0)
    p = ember.randperm(50)
    assert p.dtype is ember.int64 and sorted(p.tolist()) == list(range(50))


def test_normal_with_tensor_mean_and_std_broadcasts():
    ember.manual_seed(0)
    x = ember.normal(ember.tensor([0.0, 100.0]).expand(5000, 2), 0.1)
    means = x.numpy().mean(0)
    assert x.shape == (5000, 2) and abs(means[0]) < 0.01 and abs(means[1] - 100) < 0.01
    assert ember.normal(2.0, ember.zeros(3)).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="normal expects all elements of std >= 0.0"):
        ember.normal(ember.zeros(2), -ember.ones(2))


def test_bernoulli_follows_the_probabilities_and_keeps_dtype():
    ember.manual_seed(0)
    p = ember.tensor([0.0, 1.0, 0.3], dtype=ember.float64).expand(20000, 3)
    x = ember.bernoulli(p)
    assert x.dtype is ember.float64
    means = x.numpy().mean(0)
    assert means[0] == 0.0 and means[1] == 1.0 and abs(means[2] - 0.3) < 0.02
    with pytest.raises(RuntimeError, match="Expected p_in >= 0 && p_in <= 1"):
        ember.bernoulli(ember.tensor([1.5]))


def test_multinomial_frequencies_and_without_replacement_uniqueness():
    ember.manual_seed(0)
    draws = ember.multinomial(ember.tensor([1.0, 3.0]), 20000, replacement=True)
    assert abs(draws.float().mean().item() - 0.75) < 0.02
    rows = ember.multinomial(ember.tensor([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]]), 2)
    assert rows.shape == (2, 2) and rows.dtype is ember.int64
    assert len(set(rows[0].tolist())) == 2 and set(rows[1].tolist()) == {2, 3}
    # Without replacement, zero-probability categories come after the others (as in PyTorch).
    assert ember.multinomial(ember.tensor([0.0, 1.0, 0.0]), 2)[0].item() == 1
    with pytest.raises(RuntimeError, match="cannot sample n_sample > prob_dist.size\\(-1\\) samples without replacement"):
        ember.multinomial(ember.tensor([1.0, 1.0]), 3)
    with pytest.raises(RuntimeError, match="probability tensor contains either `inf`, `nan` or element < 0"):
        ember.multinomial(ember.tensor([-1.0, 1.0]), 1)


def test_like_forms_keep_shape_and_dtype():
    x = ember.zeros(2, 3, dtype=ember.float64)
    assert ember.rand_like(x).shape == (2, 3) and ember.rand_like(x).dtype is ember.float64
    assert ember.randn_like(x).dtype is ember.float64
    r = ember.randint_like(x, 4)
    assert r.shape == (2, 3) and r.max().item() < 4


def test_in_place_random_fills_respect_arguments():
    ember.manual_seed(0)
    assert ember.empty(2).normal_(mean=1, std=0).tolist() == [1.0, 1.0]
    assert set(ember.empty(100).random_(3, 5).tolist()) == {3.0, 4.0}
    assert ember.empty(3).bernoulli_(0.0).tolist() == [0.0, 0.0, 0.0]
    u = ember.empty(1000).uniform_(2, 3).numpy()
    assert u.min() >= 2 and u.max() < 3


def test_random_fill_on_a_leaf_that_requires_grad_needs_no_grad():
    w = ember.empty(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.normal_()
    with ember.no_grad():
        w.normal_()
    assert w.requires_grad and w.is_leaf


def test_rand_and_randn_refuse_integer_dtypes():
    for sample in (ember.rand, ember.randn):
        with pytest.raises(NotImplementedError, match="not implemented for 'Long'"):  # torch's class and message
            sample(2, dtype=ember.int64)
