"""The torchvision shim in ``model_registry.compat``: needed, sufficient, and the only one.

basicsr 1.4.2 imports ``torchvision.transforms.functional_tensor``, which torchvision 0.17 removed.
Each import check runs in a fresh interpreter, so that a basicsr or shim already imported by another
test in this session cannot hide a problem.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BASICSR_ARCHS = ("EDSR", "RCAN", "SwinIR", "MSRResNet", "RRDBNet", "RIDNet")
LEGACY = "torchvision.transforms.functional_tensor"


def _fresh_python(code: str) -> dict:
    """Run ``code`` in a new interpreter (repo on the path); it must print one JSON object last."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


# Prepended to each script: does this torchvision still ship the module basicsr wants? (Asked before
# any shim is installed, so the answer is torchvision's own.)
_PROBE = f"import importlib.util\nlegacy_exists = importlib.util.find_spec({LEGACY!r}) is not None\n"


def test_shim_imports_basicsr_and_registers_archs() -> None:
    result = _fresh_python(
        _PROBE + "import json, sys\n"
        "from model_registry.compat import import_basicsr_archs\n"
        "archs = import_basicsr_archs()\n"
        "from basicsr.utils.registry import ARCH_REGISTRY\n"
        "import torchvision.transforms.functional as functional\n"
        f"legacy = sys.modules[{LEGACY!r}]\n"
        "print(json.dumps({'module': archs.__name__, 'legacy_exists': legacy_exists,\n"
        f"                  'registered': [n for n in {list(BASICSR_ARCHS)!r} if n in ARCH_REGISTRY],\n"
        "                  'same_function': legacy.rgb_to_grayscale is functional.rgb_to_grayscale}))"
    )
    assert result["module"] == "basicsr.archs"
    assert result["registered"] == list(BASICSR_ARCHS)
    if not result["legacy_exists"]:
        # The alias must hand basicsr the real implementation, not a stand-in.
        assert result["same_function"]


def test_basicsr_without_shim() -> None:
    """Without the shim, basicsr fails to import exactly when torchvision lacks the legacy module."""
    result = _fresh_python(
        _PROBE + "import json\n"
        "try:\n"
        "    import basicsr.archs\n"
        "    error = None\n"
        "except ImportError as exc:\n"
        "    error = f'{type(exc).__name__}: {exc}'\n"
        "print(json.dumps({'error': error, 'legacy_exists': legacy_exists}))"
    )
    if result["legacy_exists"]:
        assert result["error"] is None  # older torchvision: the shim is a harmless no-op
    else:
        assert result["error"] is not None, "basicsr imported without the shim: is it still needed?"
        assert "functional_tensor" in result["error"]


def test_shim_is_idempotent() -> None:
    result = _fresh_python(
        "import json, sys\n"
        "from model_registry.compat import install_torchvision_shim\n"
        "install_torchvision_shim()\n"
        f"first = sys.modules.get({LEGACY!r})\n"
        "install_torchvision_shim()\n"
        f"print(json.dumps({{'same': sys.modules.get({LEGACY!r}) is first, 'present': first is not None}}))"
    )
    assert result == {"same": True, "present": True}


@pytest.mark.parametrize("package", ["cem_bench", "model_registry"])
def test_alias_lives_in_one_place(package: str) -> None:
    """Only ``model_registry/compat.py`` names the removed module; everything else goes through it."""
    offenders = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / package).rglob("*.py"))
        if "functional_tensor" in path.read_text(encoding="utf-8") and path != REPO / "model_registry" / "compat.py"
    ]
    assert offenders == []
