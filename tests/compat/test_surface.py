"""The API PyTorch has on a CPU-only machine: same return values and same exceptions as installed torch."""

from __future__ import annotations

import importlib
import pickle
import warnings

import pytest

import ember

torch = pytest.importorskip("torch")


def outcome(lib, expr: str):
    """('ok', value, warning messages) or ('raise', exception class, message) of ``expr`` with ``lib`` as torch."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = eval(expr, {"torch": lib})
        except Exception as exc:  # noqa: BLE001
            return ("raise", type(exc), str(exc).split("\n")[0])
    return ("ok", value, sorted({(w.category.__name__, str(w.message)) for w in caught}))


SAME_VALUE = """torch.accelerator.is_available()
torch.accelerator.current_accelerator()
torch.accelerator.current_accelerator(check_available=True)
torch.accelerator.device_count()
torch.cuda.is_available()
torch.cuda.device_count()
torch.cuda.manual_seed(1)
torch.cuda.manual_seed_all(1)
torch.cuda.empty_cache()
torch.cuda.is_initialized()
torch.cuda.memory_allocated()
torch.cuda.max_memory_allocated()
torch.cuda.memory_reserved()
torch.cuda.is_bf16_supported()
torch.cuda.get_arch_list()
torch.cuda.seed()
dict(torch.cuda.memory_stats())
torch.mps.is_available()
torch.mps.device_count()
torch.mps.manual_seed(1)
torch.xpu.is_available()
torch.xpu.device_count()
torch.xpu.manual_seed(1)
torch.xpu.empty_cache()
torch.cpu.is_available()
torch.cpu.device_count()
torch.cpu.current_device()
torch.cpu.synchronize()
torch.backends.mps.is_available()
torch.backends.mps.is_built()
torch.backends.cudnn.is_available()
torch.backends.cudnn.version()
torch.backends.cudnn.enabled
torch.backends.cudnn.benchmark
torch.backends.cudnn.deterministic
torch.backends.cudnn.allow_tf32
torch.backends.cudnn.is_acceptable(torch.ones(1))
torch.backends.cuda.is_built()
torch.backends.cuda.matmul.allow_tf32
torch.backends.cuda.matmul.allow_fp16_reduced_precision_reduction
torch.backends.cuda.flash_sdp_enabled()
torch.backends.opt_einsum.is_available()
torch.backends.opt_einsum.enabled
torch.backends.opt_einsum.strategy
torch.version.cuda
torch.version.hip
torch.get_float32_matmul_precision()
torch.are_deterministic_algorithms_enabled()
torch.is_deterministic_algorithms_warn_only_enabled()
str(torch.device('cuda'))
str(torch.device('cuda:1'))
torch.device('cuda', 0).index
torch.zeros(2).is_cuda
torch.zeros(2).is_cpu
torch.zeros(2).is_xpu
torch.zeros(2).is_mps
torch.zeros(2).is_meta
torch.zeros(2).is_sparse
torch.zeros(2).is_quantized
torch.zeros(2).is_mkldnn
torch.zeros(2).is_nested
torch.zeros(2).is_pinned()
torch.zeros(2).get_device()
torch.utils.data.get_worker_info()
torch.jit.is_scripting()
torch.jit.is_tracing()
torch.compiler.is_compiling()
torch.multiprocessing.get_sharing_strategy()
torch.multiprocessing.get_all_sharing_strategies()
torch.amp.GradScaler('cpu').get_scale()
torch.amp.GradScaler('cpu').is_enabled()
torch.amp.GradScaler('cpu').state_dict()
torch.amp.GradScaler('cuda').is_enabled()
torch.amp.GradScaler('cuda').get_scale()
torch.amp.GradScaler('cuda').state_dict()
torch.amp.GradScaler().is_enabled()
torch.cuda.amp.GradScaler().is_enabled()
torch.cpu.amp.autocast() is not None
torch.autocast('cuda') is not None
torch.cuda.amp.autocast() is not None
torch.nn.DataParallel(torch.nn.Linear(2, 2)).device_ids
sorted(torch.nn.DataParallel(torch.nn.Linear(2, 2)).state_dict())
type(torch.nn.DataParallel(torch.nn.Linear(2, 2)).module).__name__
torch.set_float32_matmul_precision('bad')
isinstance(torch.ones(1), torch.cuda.FloatTensor)
torch.serialization.get_safe_globals() == [] or True""".splitlines()

SAME_ERROR = """torch.accelerator.current_device_index()
torch.accelerator.synchronize()
torch.accelerator.set_device_index(0)
torch.accelerator.empty_cache()
torch.cuda.synchronize()
torch.cuda.get_device_name()
torch.cuda.get_device_name(0)
torch.cuda.current_device()
torch.cuda.get_device_properties(0)
torch.cuda.get_device_capability()
torch.cuda.init()
torch.cuda.initial_seed()
torch.cuda.get_rng_state()
torch.cuda.mem_get_info()
torch.cuda.set_device(0)
torch.cuda.reset_peak_memory_stats()
torch.cuda.Stream()
torch.cuda.Event()
torch.mps.synchronize()
torch.mps.empty_cache()
torch.mps.current_allocated_memory()
torch.xpu.synchronize()
torch.xpu.current_device()
torch.zeros(2, device='cuda')
torch.zeros(2).cuda()
torch.zeros(2).cuda(0)
torch.zeros(2).to('cuda')
torch.zeros(2).to('cuda:0')
torch.zeros(2).to(device='cuda:0', dtype=torch.float64)
torch.zeros(2).to('mps')
torch.zeros(2).to('xpu')
torch.zeros(2).xpu()
torch.zeros(2).pin_memory()
torch.nn.Linear(2, 2).cuda()
torch.nn.Linear(2, 2).to('mps')
torch.nn.Linear(2, 2).to('xpu')
torch.Generator(device='cuda')
torch.Generator(device='meta')
torch.Generator(device='mps')
torch.compile(torch.nn.Linear(2, 2), mode='nope')
torch.compile(torch.nn.Linear(2, 2), foo=1)
torch.autocast('foo')
torch.cuda.FloatTensor(2)
torch.cuda.LongTensor([1])""".splitlines()


def _same(e, t):
    if isinstance(t, (bool, int, float, str, type(None), list, dict, set, tuple)):
        return e == t and type(e) is type(t)
    return False


@pytest.mark.parametrize("expr", SAME_VALUE)
def test_same_value_and_warnings_as_cpu_torch(expr):
    e, t = outcome(ember, expr), outcome(torch, expr)
    assert e[0] == t[0] == "ok", (e, t)
    assert _same(e[1], t[1]), (e[1], t[1])
    # Same warning categories and texts (PyTorch's internal "Triggered internally at ..." suffix aside, and
    # ember's own documented note that CPU autocast casts nothing).
    strip = [(c, m.split(" (Triggered internally")[0]) for c, m in t[2]]
    assert [(c, m.replace("  ", " ")) for c, m in e[2] if not m.startswith("ember:")] == [(c, m.replace("  ", " ")) for c, m in strip]


@pytest.mark.parametrize("expr", SAME_ERROR)
def test_same_exception_as_cpu_torch(expr):
    e, t = outcome(ember, expr), outcome(torch, expr)
    assert e[0] == t[0] == "raise", (e, t)
    assert e[1] is t[1] or issubclass(e[1], t[1]), (e, t)
    if t[1] is not TypeError:  # TypeError texts name Python-level signatures
        assert e[2].rstrip() == t[2].rstrip(), (e[2], t[2])


def test_backends_is_a_package_whose_submodules_import():
    for name in ("cudnn", "mps", "cuda", "mkldnn", "openmp", "opt_einsum", "mkl", "cpu"):
        module = importlib.import_module(f"ember.backends.{name}")
        assert module is getattr(ember.backends, name)
    import ember.backends.cudnn as cudnn

    saved = cudnn.benchmark
    cudnn.benchmark = True
    assert ember.backends.cudnn.benchmark is True
    cudnn.benchmark = saved
    with cudnn.flags(enabled=False, deterministic=True):
        assert cudnn.deterministic is True and cudnn.enabled is False
    assert cudnn.enabled is True and cudnn.deterministic is False
    assert ember.backends.cpu.get_cpu_capability() in ("AVX512", "AVX2", "DEFAULT")


@pytest.mark.parametrize("path, names", [
    ("sparse", ["Embedding", "EmbeddingBag"]), ("linear", ["Linear", "Identity", "Bilinear"]),
    ("conv", ["Conv1d", "Conv2d", "ConvTranspose2d"]), ("activation", ["ReLU", "GELU", "Softmax"]),
    ("loss", ["CrossEntropyLoss", "MSELoss", "_Loss", "_WeightedLoss"]), ("batchnorm", ["BatchNorm1d", "BatchNorm2d",
                                                                                       "_BatchNorm"]),
    ("instancenorm", ["InstanceNorm1d", "InstanceNorm2d"]), ("normalization", ["LayerNorm", "GroupNorm"]),
    ("container", ["Sequential", "ModuleList", "ModuleDict"]), ("rnn", ["LSTM", "GRU", "RNN"]),
    ("pooling", ["MaxPool2d", "AdaptiveAvgPool2d"]), ("dropout", ["Dropout", "Dropout2d"]),
    ("padding", ["ZeroPad2d", "ReflectionPad2d"]), ("flatten", ["Flatten", "Unflatten"]), ("module", ["Module"]),
    ("distance", ["PairwiseDistance", "CosineSimilarity"]), ("pixelshuffle", ["PixelShuffle"]),
    ("upsampling", ["Upsample"]), ("fold", ["Fold", "Unfold"]), ("channelshuffle", ["ChannelShuffle"]),
])
def test_nn_modules_paths_hold_the_same_classes_as_torch(path, names):
    ours = importlib.import_module(f"ember.nn.modules.{path}")
    theirs = importlib.import_module(f"torch.nn.modules.{path}")
    for name in names:
        assert hasattr(theirs, name), (path, name)
        cls = getattr(ours, name)
        assert cls is getattr(ember.nn, name, cls)  # one class, whatever path it is imported from


def test_nn_modules_utils_helpers_match_torch():
    from torch.nn.modules import utils as tu

    from ember.nn.modules import utils as eu

    for fn in ("_single", "_pair", "_triple", "_quadruple"):
        for arg in (3, (1, 2), [4, 5, 6]):
            assert getattr(eu, fn)(arg) == getattr(tu, fn)(arg)
    assert eu._reverse_repeat_tuple((1, 2), 2) == tu._reverse_repeat_tuple((1, 2), 2)


def test_data_parallel_runs_the_module_and_round_trips_state_dict_with_torch():
    ember.manual_seed(0)
    inner = ember.nn.Linear(3, 2)
    dp = ember.nn.parallel.DataParallel(inner)
    x = ember.randn(4, 3)
    assert ember.equal(dp(x), inner(x)) and dp.module is inner
    t = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    t.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in dp.state_dict().items()})
    assert list(t.state_dict()) == list(dp.state_dict())
    assert ember.nn.parallel.data_parallel(inner, x).shape == (4, 2)


def test_grad_scaler_on_cpu_skips_overflowing_steps_and_backs_off_like_torch():
    results = {}
    for lib in (ember, torch):
        lib.manual_seed(0)
        w = lib.nn.Parameter(lib.ones(3))
        opt = lib.optim.SGD([w], lr=0.1)
        scaler = lib.amp.GradScaler("cpu", init_scale=4.0, growth_interval=2)
        trace = []
        for bad in [False, True, False, False, False]:
            opt.zero_grad()
            loss = (w * (float("inf") if bad else 1.0)).sum()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            trace.append((scaler.get_scale(), [round(float(v), 5) for v in w.detach().numpy()]))
        results[lib.__name__] = (trace, scaler.state_dict())
    assert results["ember"] == results["torch"]


def test_autocast_is_a_context_manager_and_decorator_that_casts_nothing():
    with pytest.warns(UserWarning, match="CUDA is not available or torch_xla is imported. Disabling autocast."):
        ctx = ember.autocast("cuda")
    with ctx:
        assert not ember.is_autocast_enabled()

    @ember.autocast("cpu", enabled=False)
    def f(x):
        return x * 2

    assert f(ember.ones(2)).dtype is ember.float32
    with pytest.raises(RuntimeError, match="device type at start of device string: foo"):
        ember.amp.autocast("foo")


def test_compile_and_jit_return_what_they_are_given():
    m = ember.nn.Linear(2, 2)
    assert ember.compile(m) is m and ember.compile(mode="max-autotune")(m) is m
    assert ember.jit.script(m) is m and ember.jit.trace(m, ember.randn(1, 2)) is m
    with pytest.raises(RuntimeError, match="Either mode or options"):
        ember.compile(m, mode="default", options={})

    @ember.jit.ignore
    def g():
        return 1

    assert g() == 1 and ember.jit.export(g) is g and ember.jit.unused(g) is g
    with pytest.raises(RuntimeError, match="TorchScript"):
        ember.jit.save(m, "x.pt")


def test_default_generator_starts_from_os_entropy_and_new_generators_from_torchs_default_seed():
    import subprocess
    import sys

    code = "import ember; print(ember.initial_seed(), ember.rand(1).item())"
    env = {"PYTHONPATH": ember.__path__[0].rsplit("/", 1)[0]}
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout
            for _ in range(2)}
    assert len(runs) == 2  # two fresh processes draw different seeds, as torch does
    assert ember.Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721


def test_version_and_multiprocessing_basics():
    assert ember.version.cuda is None and ember.version.__version__ == ember.__version__
    assert ember.multiprocessing.cpu_count() >= 1 and ember.multiprocessing.Queue is not None
    with pytest.raises(AssertionError):
        ember.multiprocessing.set_sharing_strategy("nope")


def _square_into(i, path):
    with open(f"{path}/{i}", "w") as fh:
        fh.write(str(i * i))


def _fail(i):
    if i == 1:
        raise ValueError("rank one failed")


def test_multiprocessing_spawn_runs_each_rank_and_reports_failures(tmp_path):
    ember.multiprocessing.spawn(_square_into, args=(str(tmp_path),), nprocs=2, start_method="fork")
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0", "1"]
    with pytest.raises(ember.multiprocessing.ProcessRaisedException, match="rank one failed"):
        ember.multiprocessing.spawn(_fail, nprocs=2, start_method="fork")


def test_pickle_of_a_whole_module_still_works_in_memory():
    m = ember.nn.Sequential(ember.nn.Linear(2, 2))
    assert ember.equal(pickle.loads(pickle.dumps(m))[0].weight, m[0].weight)
