import json

import pytest

from cem_bench.core.errors import CemBenchError
from cem_bench.core.geometry import ROI
from cem_bench.pipeline.scoring import score
from cem_bench.records.io import read_result, write_result


@pytest.fixture(scope="module")
def record(tmp_path_factory):
    image = tmp_path_factory.mktemp("img") / "gt.png"
    from PIL import Image

    from cem_bench.core.images import read_rgb

    Image.fromarray(read_rgb("skimage:chelsea")[100:148, 200:248]).save(image)
    return score("box-blur-3", "dn", image, ROI(16, 16, 16), progress=False).record


def test_record_has_what_reproduces_it(record):
    assert record["protocol"]["id"].startswith("cem-v1/coarse-fine/b8-c3-f50")
    assert len(record["protocol"]["bank"]["sha256"]) == 64
    assert record["model"]["name"] == "box-blur-3" and record["model"]["weights_sha256"] is None
    assert record["image"]["size"] == [48, 48]
    assert record["ce"][2][2] is None and record["n_samples"][2][2] == 0
    total = sum(record["counts"].values()) + record["grid"]["roi_blocks"]
    assert total == record["grid"]["rows"] * record["grid"]["cols"]
    assert {"package_version", "git_revision", "torch", "device"} <= set(record["environment"])


def test_write_validates_and_leaves_no_partial_file(tmp_path, record):
    path = write_result(record, tmp_path / "r.json")
    assert read_result(path) == json.loads(path.read_text())
    broken = {**record, "forwards": -1}
    with pytest.raises(CemBenchError, match="forwards"):
        write_result(broken, tmp_path / "broken.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.json"]
