"""Pillow is optional: tensor and array paths, and the datasets, must work without it."""

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import sys
    sys.modules["PIL"] = None  # any `import PIL...` now raises ImportError
    import numpy as np
    import ember
    from ember.vision import datasets as D, transforms as T
    from ember.vision.datasets._idx import write_idx

    root = sys.argv[1]
    write_idx(root + "/train-images-idx3-ubyte", np.full((2, 28, 28), 255, np.uint8))
    write_idx(root + "/train-labels-idx1-ubyte", np.array([4, 2], np.uint8))
    img, label = D.MNIST(root)[1]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and label == 2
    pipeline = T.Compose([T.ToTensor(), T.RandomCrop(24), T.Resize(12), T.Normalize((0.5,), (0.5,))])
    out = pipeline(img)
    assert isinstance(out, ember.Tensor) and tuple(out.shape) == (1, 12, 12)
    assert np.allclose(out.numpy(), 1.0)
    assert isinstance(D.Digits()[0][0], np.ndarray)
    fake, _ = D.FakeData(2, (3, 4, 5))[0]
    assert isinstance(fake, np.ndarray) and fake.shape == (4, 5, 3) and fake.dtype == np.uint8
    try:
        T.ToPILImage()(out)
    except ImportError as exc:
        assert "ember[image]" in str(exc)
    else:
        raise AssertionError("ToPILImage worked without Pillow")
    print("ok")
    """
)


def test_everything_but_pil_conversion_works_without_pillow(tmp_path):
    env = dict(os.environ)
    src = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "src"))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
