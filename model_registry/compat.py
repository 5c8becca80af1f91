"""The single place where third-party incompatibilities are patched.

basicsr 1.4.2 imports ``torchvision.transforms.functional_tensor``, a module that torchvision 0.17
removed (its functions moved to ``torchvision.transforms.functional``). Registering an alias module
before basicsr is imported lets basicsr load unchanged. Import basicsr only through
:func:`import_basicsr_archs` so the alias is always in place first.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

_LEGACY = "torchvision.transforms.functional_tensor"


def install_torchvision_shim() -> None:
    """Alias the removed torchvision module to its successor (idempotent)."""
    if _LEGACY in sys.modules:
        return
    try:
        importlib.import_module(_LEGACY)
        return
    except ImportError:
        pass
    import torchvision.transforms.functional as functional

    shim = types.ModuleType(_LEGACY)
    shim.rgb_to_grayscale = functional.rgb_to_grayscale  # the one name basicsr uses
    sys.modules[_LEGACY] = shim


def import_basicsr_archs() -> Any:
    """Import ``basicsr.archs`` (which registers every architecture) behind the shim."""
    install_torchvision_shim()
    return importlib.import_module("basicsr.archs")
