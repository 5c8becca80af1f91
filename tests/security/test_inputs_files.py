"""Hostile input files (tests/security/inputs/): each is one line `cem-bench: error: ...`, exit 2, nothing
written, never a traceback: decompression bombs, 16-bit PNGs, broken patch banks, non-UTF-8 YAML and
``skimage:`` names that are not images."""

from __future__ import annotations

import pytest
import skimage.data
from hostile_inputs import INPUTS
from PIL import Image

from cem_bench.cli import main
from cem_bench.core.banks import load_bank
from cem_bench.core.config import read_yaml_file
from cem_bench.core.errors import CemBenchError
from cem_bench.core.images import read_rgb
from cem_bench.models.card import ModelCard
from cem_bench.pipeline.params import read_params
from cem_bench.pipeline.suites import load_suite


def score_args(out, **change):
    args = {"--model": "box-blur-3", "--task": "dn", "--image": "skimage:coffee", "--roi": "16,16,16", "--fine": "3",
            "--out": str(out), **change}
    return ["score", "--quiet", *[item for pair in args.items() for item in pair]]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("cem-bench: error: ") and "\n" not in err, err
    return err


@pytest.mark.parametrize(("flag", "name", "message"), [
    ("--image", "bomb-100000.png", "more than 67,108,864 (8192x8192) pixels"),
    ("--image", "big-10000.png", "10000x10000 pixels; at most 67,108,864"),
    ("--image", "rgb16.png", "more than 8 bits per channel"),
    ("--image", "grey16.png", "more than 8 bits per channel"),
    ("--image", "rgba16.png", "more than 8 bits per channel"),
    ("--lq", "rgb16.png", "more than 8 bits per channel"),
    ("--bank", "not-a-zip.npz", "is not an .npz (zip) archive"),
    ("--bank", "zip-magic-only.npz", "is not an .npz (zip) archive"),
    ("--bank", "npy-renamed.npz", "is not an .npz (zip) archive"),
    ("--bank", "no-patches.npz", "no 'patches' array"),
    ("--bank", "huge-patches.npz", "larger than 1024 MiB"),
    ("--bank", "float-patches.npz", "expected uint8 patches"),
    ("--model", "latin1-card.yaml", "is not UTF-8 text (byte 0xe8"),
])
def test_hostile_file_is_one_line_exit_2_and_nothing_written(tmp_path, capsys, flag, name, message):
    assert main(score_args(tmp_path / "out", **{flag: str(INPUTS / name)})) == 2
    assert message in one_line_error(capsys)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["rgb16.png", "grey16.png", "rgba16.png"])
def test_16_bit_images_follow_one_rule(name):
    """Grey and colour alike: refused with the same advice, never cut to 8 bits silently."""
    with pytest.raises(CemBenchError, match=r"more than 8 bits per channel.*convert it first"):
        read_rgb(INPUTS / name)


def test_8_bit_modes_are_still_read(tmp_path):
    pixels = read_rgb("skimage:coffee")[:8, :8]
    for mode in ("RGB", "RGBA", "L", "P", "1"):
        path = tmp_path / f"{mode}.png"
        Image.fromarray(pixels).convert(mode).save(path)
        assert read_rgb(path).shape == (8, 8, 3)


@pytest.mark.parametrize(("name", "message"), [
    ("not-a-zip.npz", "is not an .npz (zip) archive"),  # not "load it unsafely using allow_pickle"
    ("zip-magic-only.npz", "is not an .npz (zip) archive"),
    ("npy-renamed.npz", "is not an .npz (zip) archive"),
    ("no-patches.npz", "no 'patches' array"),
    ("huge-patches.npz", "(1000000000, 8, 8, 3) is larger than 1024 MiB"),  # refused from the header alone
    ("float-patches.npz", "expected uint8 patches"),
])
def test_broken_bank_is_a_cem_bench_error(name, message):
    with pytest.raises(CemBenchError) as error:
        load_bank(str(INPUTS / name))
    assert message in str(error.value) and "\n" not in str(error.value)


def test_damaged_bank_member_is_a_cem_bench_error(tmp_path):
    import numpy as np

    path = tmp_path / "crc.npz"
    np.savez(path, patches=np.zeros((4, 8, 8, 3), np.uint8))
    data = bytearray(path.read_bytes())
    data[120] ^= 0xFF  # inside the stored member: its CRC no longer matches
    path.write_bytes(bytes(data))
    with pytest.raises(CemBenchError, match="cannot read patch bank"):
        load_bank(str(path))


def test_non_utf8_yaml_is_one_line_everywhere(tmp_path):
    with pytest.raises(CemBenchError, match=r"model card .*latin1-card.yaml is not UTF-8 text \(byte 0xe8 at offset"):
        read_yaml_file(ModelCard, INPUTS / "latin1-card.yaml", "model card")
    with pytest.raises(CemBenchError, match="suite .* is not UTF-8 text"):
        load_suite(INPUTS / "latin1-suite.yaml")
    params = tmp_path / "params.yaml"
    params.write_bytes("protocol: {fine: 10}  # \u00e9\n".encode("latin-1"))
    with pytest.raises(CemBenchError, match="params file .* is not UTF-8 text"):
        read_params(params)


def test_cli_non_utf8_suite_and_card(capsys):
    assert main(["run", "--suite", str(INPUTS / "latin1-suite.yaml"), "--quiet"]) == 2
    assert "is not UTF-8 text" in one_line_error(capsys)
    assert main(["models", "show", str(INPUTS / "latin1-card.yaml")]) == 2
    assert "is not UTF-8 text" in one_line_error(capsys)


@pytest.mark.parametrize("name", ["download_all", "file_hash", "data_dir", "lbp_frontal_face_cascade_filename",
                                  "binary_blobs", "camera", "cells3d", "__name__", "_fetch"])
def test_skimage_names_outside_the_allow_list_call_nothing(tmp_path, capsys, monkeypatch, name):
    called = []
    for attribute in ("download_all", "file_hash", "binary_blobs", "cells3d", "camera"):
        monkeypatch.setattr(skimage.data, attribute, lambda *a, _n=attribute, **k: called.append(_n))
    assert main(score_args(tmp_path / "out", **{"--image": f"skimage:{name}"})) == 2
    assert f"unknown scikit-image image '{name}' (known: astronaut, " in one_line_error(capsys)
    assert called == [] and not (tmp_path / "out").exists()


def test_every_allowed_skimage_name_is_a_bundled_colour_image():
    from cem_bench.core.images import SKIMAGE_IMAGES

    for name in SKIMAGE_IMAGES:
        assert read_rgb(f"skimage:{name}").ndim == 3


def test_a_bare_skimage_name_that_is_no_file_says_how_to_name_it(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called coffee here
    assert main(score_args(tmp_path / "out", **{"--image": "coffee"})) == 2
    assert one_line_error(capsys).endswith("image not found: coffee (scikit-image's picture is skimage:coffee)")
    assert main(score_args(tmp_path / "out", **{"--image": "missing.png"})) == 2
    assert one_line_error(capsys).endswith("image not found: missing.png")


def test_result_that_is_not_utf8_is_one_line(tmp_path, capsys):
    """A result file the leaderboard reads but no command wrote (a byte-order mark of UTF-16, say)."""
    result = tmp_path / "results" / "quick" / "sr-x4" / "bicubic-x4.json"
    result.parent.mkdir(parents=True)
    result.write_bytes(b"\xff\xfe{}")
    out = tmp_path / "board.md"
    assert main(["leaderboard", "--suite", "quick", "--results", str(tmp_path / "results"), "--out", str(out)]) == 2
    assert "is not UTF-8 text" in one_line_error(capsys)
    assert not out.exists()


def test_out_that_is_a_folder_is_one_line(tmp_path, capsys):
    assert main(["leaderboard", "--suite", "quick", "--out", str(tmp_path)]) == 2
    assert f"--out {tmp_path} is an existing folder, not a file" in one_line_error(capsys)


DEEP = "[" * 100_000  # past Python's recursion limit for both parsers


@pytest.mark.parametrize("kind", ["model card", "params file", "suite result"])
def test_text_nested_past_the_recursion_limit_is_one_line_naming_the_file(kind, tmp_path, capsys):
    """Refused where it is parsed, naming the file; no RecursionError reaches the CLI (it would be a bug)."""
    if kind == "model card":
        (tmp_path / "deep.yaml").write_text(f"a: {DEEP}\n")
        argv = ["models", "show", str(tmp_path / "deep.yaml")]
    elif kind == "params file":
        (tmp_path / "params.yaml").write_text(f"suite: {DEEP}\n")
        argv = ["check", "--params", str(tmp_path / "params.yaml"), "--results", str(tmp_path)]
    elif kind == "suite result":
        (tmp_path / "quick" / "dn-s50").mkdir(parents=True)
        (tmp_path / "quick" / "dn-s50" / "deep.json").write_text(DEEP)
        argv = ["aggregate", "--results", str(tmp_path)]
    assert main(argv) == 2
    err = one_line_error(capsys)
    assert "nested too deeply" in err and ("deep" in err or kind in err)


@pytest.mark.parametrize("text", [DEEP, "not json", "[1, 2]", '{"key": {"share": 1}}'])
def test_a_reach_file_cem_bench_did_not_write_is_one_error_naming_it(text, tmp_path):
    from cem_bench.pipeline.reach import REACH_FILE, read_reach

    (tmp_path / "quick").mkdir()
    (tmp_path / "quick" / REACH_FILE).write_text(text)
    with pytest.raises(CemBenchError, match=rf"{REACH_FILE} is not a reach file cem-bench wrote .*delete it"):
        read_reach(tmp_path, load_suite("quick"))


def test_a_recursion_error_that_is_not_about_input_keeps_its_traceback(monkeypatch):
    from cem_bench.cli.commands import models

    def runaway(args):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(models, "run_list", runaway)
    with pytest.raises(RecursionError):
        main(["models", "list"])
