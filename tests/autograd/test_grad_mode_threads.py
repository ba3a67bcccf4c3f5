"""Grad mode is per-thread, as in PyTorch: one thread's ``no_grad`` never reaches another."""

import threading

import numpy as np

import ember
from ember import nn


def _in_thread(fn):
    box = {}

    def run():
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def test_no_grad_in_main_thread_does_not_reach_a_new_thread():
    with ember.no_grad():
        assert not ember.is_grad_enabled()
        assert _in_thread(ember.is_grad_enabled) is True
        x = ember.ones(3, requires_grad=True)
        y = _in_thread(lambda: x * 2)
        assert y.requires_grad and y.grad_fn is not None


def test_no_grad_in_a_thread_leaves_the_main_thread_recording():
    def worker():
        with ember.no_grad():
            return ember.is_grad_enabled()

    assert _in_thread(worker) is False
    assert ember.is_grad_enabled()


def test_set_grad_enabled_and_inference_mode_are_per_thread():
    def worker():
        ember.set_grad_enabled(False)
        with ember.inference_mode():
            return ember.is_grad_enabled(), ember.is_inference_mode_enabled()

    assert _in_thread(worker) == (False, True)
    assert ember.is_grad_enabled() and not ember.is_inference_mode_enabled()


def test_interleaved_no_grad_blocks_in_two_threads_leave_grad_mode_on():
    entered = threading.Barrier(2)
    leave_first = threading.Event()
    seen = {}

    def first():
        with ember.no_grad():
            entered.wait()
            leave_first.wait()
        seen["first"] = ember.is_grad_enabled()

    def second():
        entered.wait()
        with ember.no_grad():
            leave_first.set()  # the first thread exits its block while this one is inside its own
        seen["second"] = ember.is_grad_enabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"first": True, "second": True}
    assert ember.is_grad_enabled()


def test_backward_leaves_the_callers_grad_mode_alone():
    x = ember.ones(2, requires_grad=True)
    y = (x * 3).sum()
    y.backward(create_graph=True)
    assert ember.is_grad_enabled()
    with ember.no_grad():
        z = (x * x).sum()
    assert z.grad_fn is None and ember.is_grad_enabled()


def _train(seed: int, steps: int = 40, barrier=None):
    gen = ember.Generator().manual_seed(seed)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
    with ember.no_grad():
        for p in model.parameters():
            p.copy_(ember.randn(p.shape, generator=gen, dtype=p.dtype) * 0.3)
    opt = ember.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = ember.randn(32, 6, generator=gen)
    y = ember.randint(0, 3, (32,), generator=gen)
    for step in range(steps):
        if barrier is not None and step % 10 == 0:
            barrier.wait()  # keep both threads mid-training at the same time
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        with ember.no_grad():  # the other thread must keep recording through this
            model(x)
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def test_two_threads_training_two_models_end_with_the_sequential_weights():
    expected = [_train(1), _train(2)]
    barrier = threading.Barrier(2)
    results = {}

    def worker(seed):
        results[seed] = _train(seed, barrier=barrier)

    threads = [threading.Thread(target=worker, args=(s,)) for s in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for seed, want in zip((1, 2), expected):
        assert seed in results, "a training thread crashed"
        for got, ref in zip(results[seed], want):
            np.testing.assert_array_equal(got, ref)
