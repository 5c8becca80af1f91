"""Suite files: the shipped suites load, and bad suites fail with one readable line."""

import json
from pathlib import Path

import pytest
import yaml
from conftest import needs_assets

from cem_bench.cem.protocol import Protocol
from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.pipeline.suites import builtin_suites, load_suite

GOOD = {
    "name": "mini", "description": "test", "protocol": {"fine": 5},
    "images": [{"id": "a", "source": "skimage:astronaut", "crop": [0, 0, 64]},
               {"id": "b", "source": "skimage:coffee", "crop": [10, 20, 48]}],
    "rois": [[16, 16, 16]], "tasks": [{"name": "sr", "scale": 2}, {"name": "dn", "sigma": 50}],
}


def write(tmp_path: Path, **changes) -> Path:
    data = {**GOOD, **changes}
    path = tmp_path / "suite.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_shipped_suites_load_with_their_protocols():
    assert {"quick", "standard"} <= set(builtin_suites())
    quick, standard = load_suite("quick"), load_suite("standard")
    assert quick.protocol == Protocol(coarse=3, fine=10)
    assert standard.protocol == Protocol(bank="div2k-8")  # the paper's: block 8, coarse 3, fine 50, tol 0.01
    assert all(task.label != "sr-x3" for task in quick.tasks)
    assert [task.label for task in standard.tasks] == ["sr-x2", "sr-x4", "dn-s50", "dr"]
    lattice = [ROI(x, y, 32) for y in (32, 112, 192) for x in (32, 112, 192)]
    assert all(standard.rois_for(image.id) == lattice for image in standard.images)
    assert len(standard.images) == 13 and all(image.sha256 for image in standard.images)
    assert quick.id.startswith("quick@") and len(quick.hash) == 16


@needs_assets
def test_standard_suite_images_are_the_fixed_256_pixel_crops():
    for image in load_suite("standard").images:
        assert image.chosen().read().shape == (256, 256, 3)  # read() checks the content sha256


def test_a_fixed_image_hash_refuses_other_pixels(tmp_path):
    other = {**GOOD["images"][0], "sha256": "0" * 64}
    suite = load_suite(write(tmp_path, images=[other, GOOD["images"][1]]))
    with pytest.raises(CemBenchError, match="does not have the content its suite fixes"):
        suite.image("a").chosen().read()


def test_a_suite_file_loads_and_its_hash_follows_its_content(tmp_path):
    suite = load_suite(write(tmp_path))
    assert suite.protocol.fine == 5 and [task.label for task in suite.tasks] == ["sr-x2", "dn-s50"]
    assert suite.image("b").chosen().read().shape == (48, 48, 3)
    assert load_suite(write(tmp_path)).hash == suite.hash
    assert load_suite(write(tmp_path, description="other")).hash != suite.hash


def test_ci_sample_names_units_of_the_suite_and_leaves_the_hash_alone(tmp_path):
    keys = ["bicubic-x2.sr-x2.a.r16-16-16", "identity.dn-s50.b.r16-16-16"]
    suite = load_suite(write(tmp_path, ci_sample=keys))
    assert suite.ci_sample == keys
    assert suite.hash == load_suite(write(tmp_path)).hash  # what CI rescores does not change what a result means
    assert load_suite("standard").ci_sample  # the shipped standard suite names its CI sample


def test_excluded_models_leave_the_plan_but_not_the_hash(tmp_path):
    from cem_bench.pipeline.plan import plan

    suite = load_suite(write(tmp_path, exclude={"bicubic-x2": "too slow for this suite"}))
    assert suite.hash == load_suite(write(tmp_path)).hash  # like the registry behind `models: all`
    models = {unit.model for unit in plan(suite, check_images=False)}
    assert "bicubic-x2" not in models and "identity" in models
    with pytest.raises(CemBenchError, match="excludes unregistered model.*no-such-model"):
        plan(load_suite(write(tmp_path, exclude={"no-such-model": "typo"})), check_images=False)
    assert "grl-tiny-x4" in load_suite("quick").exclude  # a GPU model is kept out of the CPU CI suite


def test_per_image_rois(tmp_path):
    suite = load_suite(write(tmp_path, rois={"a": [[0, 0, 8], [8, 8, 8]], "b": [[4, 4, 16]]}))
    assert suite.rois_for("a") == [ROI(0, 0, 8), ROI(8, 8, 8)] and suite.rois_for("b") == [ROI(4, 4, 16)]


@pytest.mark.parametrize("changes, message", [
    ({"protocol": {"fine": -1}}, "protocol"),
    ({"protocol": {"bogus": 1}}, "bogus"),
    ({"tasks": [{"name": "sr", "scale": 5}]}, "scale"),
    ({"tasks": [{"name": "dn", "scale": 2}]}, "scale applies to task sr only"),
    ({"tasks": [{"name": "dn", "sigma": 50}, {"name": "dn", "sigma": 50}]}, "distinct"),
    ({"tasks": [{"name": "sr", "scale": 3}]}, "block"),
    ({"images": GOOD["images"] * 2}, "unique"),
    ({"rois": {"a": [[0, 0, 8]]}}, "exactly the images"),
    ({"rois": [[0, 0, 0]]}, "size >= 1"),
    ({"rois": [[0, 0]]}, "rois"),
    ({"images": [{"id": "a", "source": "skimage:astronaut", "crop": [-1, 0, 8]}]}, "crop"),
    ({"models": "some"}, "models"),
    ({"extra": 1}, "extra"),
    ({"ci_sample": ["bicubic-x2.sr-x4.a.r16-16-16"]}, "ci_sample key 'bicubic-x2.sr-x4.a.r16-16-16'"),  # no sr-x4
    ({"ci_sample": ["bicubic-x2.sr-x2.c.r16-16-16"]}, "ci_sample key"),  # no image c
    ({"ci_sample": ["bicubic-x2.sr-x2.a.r0-0-16"]}, "ci_sample key"),  # not one of its ROIs
    ({"ci_sample": [".sr-x2.a.r16-16-16"]}, "ci_sample key"),  # no model
    ({"ci_sample": ["identity.dn-s50.b.r16-16-16"] * 2}, "must not repeat"),
    ({"models": ["identity"], "exclude": {"bicubic-x2": "slow"}}, "exclude only applies to models: all"),
    ({"exclude": {"bicubic-x2": " "}}, "needs its reason"),
])
def test_invalid_suites_are_one_line_errors(tmp_path, changes, message):
    with pytest.raises(CemBenchError, match=message) as caught:
        load_suite(write(tmp_path, **changes))
    assert "\n" not in str(caught.value)


def test_unreadable_or_unknown_suites(tmp_path):
    with pytest.raises(CemBenchError, match="unknown suite 'nope'"):
        load_suite("nope")
    with pytest.raises(CemBenchError, match="cannot read suite"):
        load_suite(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(CemBenchError, match="not valid YAML"):
        load_suite(broken)
    broken.write_text("- a list\n")
    with pytest.raises(CemBenchError, match="not a YAML mapping"):
        load_suite(broken)


def test_missing_images_and_crops_outside_are_errors(tmp_path):
    suite = load_suite(write(tmp_path, images=[
        {"id": "gone", "source": "assets:images/not-there.png"},
        {"id": "big", "source": "skimage:coffee", "crop": [590, 0, 64]},
        {"id": "file", "source": str(tmp_path / "none.png")}], rois=[[0, 0, 8]]))
    with pytest.raises(CemBenchError, match="not on this machine"):
        suite.image("gone").chosen().read()
    with pytest.raises(CemBenchError, match="outside"):
        suite.image("big").chosen().read()
    with pytest.raises(CemBenchError, match="not on this machine"):
        suite.image("file").chosen().read()


def test_fallback_is_used_only_when_the_source_is_absent(tmp_path):
    suite = load_suite(write(tmp_path, images=[
        {"id": "x", "source": "assets:images/not-there.png", "fallback": {"source": "skimage:coffee", "crop": [0, 0, 32]}},
        {"id": "y", "source": "skimage:astronaut", "crop": [0, 0, 32], "fallback": {"source": "skimage:coffee"}}],
        rois=[[0, 0, 8]]))
    assert suite.image("x").chosen().source == "skimage:coffee"
    assert suite.image("y").chosen().source == "skimage:astronaut"


def test_quick_x3_is_the_x3_sr_smoke_suite_on_quicks_images():
    """x3 SR cannot join quick (one protocol per suite; 8-px blocks do not divide by 3): quick-x3 holds it
    with 12-px blocks (4 input pixels) and the 12-px bank, on quick's photographs around the same centres."""
    quick, x3 = load_suite("quick"), load_suite("quick-x3")
    assert x3.protocol == Protocol(block=12, coarse=3, fine=10, bank="skimage-12")
    assert [task.label for task in x3.tasks] == ["sr-x3"]
    for ours, theirs in zip(x3.images, quick.images, strict=True):
        assert ours.source == theirs.source
        (x, y, size), (qx, qy, qsize) = ours.crop, theirs.crop
        assert size % x3.protocol.block == 0 and size // x3.protocol.block == qsize // quick.protocol.block  # same 8x8 lattice
        assert (x + size / 2, y + size / 2) == (qx + qsize / 2, qy + qsize / 2)
        assert ours.chosen().read().shape == (size, size, 3)
    [roi] = x3.rois_for("astronaut")
    assert roi.size == 2 * x3.protocol.block and roi.x % x3.protocol.block == 0 and roi.x + roi.size / 2 == 48


def test_quick_keeps_the_hash_its_committed_results_carry():
    """quick-x3 exists so that quick stays as it is: every committed quick result is of the current suite."""
    results = Path(__file__).resolve().parents[3] / "results" / "quick"
    files = [path for path in results.glob("*/*.json") if not path.parent.name.startswith(".")]  # not a run's cache
    hashes = {json.loads(path.read_text())["suite"]["hash"] for path in files}
    assert hashes == {load_suite("quick").hash}


def test_every_registered_model_is_scored_by_a_ci_suite_or_excluded_with_a_reason():
    """Issue 17: the shipped suites cover what the registry holds. Each built-in card is planned by a CI smoke
    suite, or excluded from it with a reason and planned by the standard suite; a card that fits no shipped
    suite's task (e.g. a new scale or noise level) fails here until a suite task is added for it."""
    from cem_bench.analysis.findings import SMOKE_SUITES
    from cem_bench.models import card_source, registered_cards
    from cem_bench.pipeline.plan import plan

    assert set(SMOKE_SUITES) <= set(builtin_suites())
    smoke = [load_suite(name) for name in SMOKE_SUITES]
    in_ci = {unit.model for suite in smoke for unit in plan(suite, check_images=False)}
    excluded = {name for suite in smoke for name in suite.exclude}
    standard = {unit.model for unit in plan(load_suite("standard"), check_images=False)}
    builtin = {name for name in registered_cards() if card_source(name) == "built-in"}
    uncovered = sorted(name for name in builtin if name not in in_ci and not (name in excluded and name in standard))
    assert uncovered == []
    assert {"carn-m-x3", "bicubic-x3"} <= in_ci
