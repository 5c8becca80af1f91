"""Writing files so that readers never see half of one, and checking an output folder before any work."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cem_bench.core.errors import ParameterError

# Kernel pseudo-filesystems: a folder there is never a place for results (mkdir under /sys/fs/cgroup
# would even create a control group), so they are refused by name before anything is created.
PSEUDO_FILESYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))


def _umask() -> int:
    """The process umask. Linux reports it in /proc; elsewhere it is read by setting and restoring it
    (a moment in which another thread's new file would get 0o022)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, then rename: readers never see half a file.

    The file gets the mode ``open()`` would give it (``0o666`` minus the umask, so usually 0644):
    ``mkstemp`` creates its temporary file 0600, which would leave results readable by the owner only.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a" / "b.txt"
    >>> atomic_write_bytes(target, b"whole"); target.read_bytes()
    b'whole'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(temporary, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _missing_folders(path: Path) -> list[Path]:
    """``path`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:  # not empty (a resumable checkpoint, say) or already gone: leave it
            return


@contextmanager
def output_folder(path: str | Path, parameter: str = "out", files: Iterable[str] = ()) -> Iterator[Path]:
    """Make sure ``path`` is a folder that can hold files before any work starts, and yield it.

    Refused with :class:`ParameterError` (naming ``parameter``): an existing file, a folder under
    /proc, /sys or /dev, a folder that cannot be created, one where no file can be written (checked
    by creating and removing a hidden file), or one where a name in ``files`` (what the command will
    write there) is a folder: the write would fail only after the work. Folders created here are
    removed again, if still empty, when the body raises, so a run that fails writes nothing.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with output_folder(root / "run") as out: out.is_dir()
    True
    """
    if not str(path).strip():  # Path("") is the working directory: an empty --out is a slip, not a choice
        raise ParameterError(parameter, "is empty; name a folder")
    folder = Path(path)
    absolute = Path(os.path.abspath(folder))
    if any(absolute == root or root in absolute.parents for root in PSEUDO_FILESYSTEMS):
        raise ParameterError(parameter, f"{folder} is inside a kernel pseudo-filesystem ({absolute.parts[1]}); choose a normal folder")
    if folder.exists() and not folder.is_dir():
        raise ParameterError(parameter, f"{folder} is an existing file, not a folder")
    created = _missing_folders(absolute)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _remove_empty(created)
        raise ParameterError(parameter, f"{folder} cannot be created: {error.strerror or error}") from None
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".cem-bench-write-test.")
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        _remove_empty(created)
        raise ParameterError(parameter, f"{folder} is not writable: {error.strerror or error}") from None
    blocked = [name for name in files if (folder / name).is_dir() and not (folder / name).is_symlink()]
    if blocked:  # an atomic write replaces a file or a link, never a folder
        _remove_empty(created)
        raise ParameterError(parameter, f"{folder / blocked[0]} is a folder where a file will be written: remove it or choose another folder")
    try:
        yield folder
    except BaseException:
        _remove_empty(created)
        raise


@contextmanager
def output_file(path: str | Path, parameter: str = "out") -> Iterator[Path]:
    """Make sure ``path`` can become a file (not a folder; its folder usable, as :func:`output_folder`
    checks) before any work starts, and yield it.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with output_file(root / "reports" / "board.md") as out: out.parent.is_dir()
    True
    """
    if not str(path).strip():
        raise ParameterError(parameter, "is empty; name a file")
    file = Path(path)
    if file.is_dir() or str(path).endswith(("/", os.sep)):
        raise ParameterError(parameter, f"{path} is an existing folder, not a file" if file.is_dir() else f"{path} names a folder, not a file")
    with output_folder(file.parent, parameter):
        yield file
