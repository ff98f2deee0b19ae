import json
import shutil

import numpy as np
import pytest
import rasterio

from hsiadapt.experiment.predict import NODATA, predict_scene
from tests.tiny_run import SRF, tiny_run_dir


def test_predict_on_real_potsdam_tiles(realdata, tmp_path):
    run_dir = tiny_run_dir(realdata, tmp_path / "runs", root="enmap_potsdam_tiles",
                           task="potsdam", name="potsdam", adapter=SRF, image_size=32,
                           batch_size=4,
                           dataset_args={"mask_dir": "labels", "background_codes": [0]})
    scene = tmp_path / "scene.tif"
    shutil.copy(realdata / "enmap_potsdam_tiles/images/enmap_potsdam_tile_96_96.tif", scene)
    with rasterio.open(scene, "r+") as dst:
        a = dst.read()
        a[:, 5:9, 20:25] = -32768  # a nodata hole
        dst.write(a)
    out = predict_scene(run_dir, scene, tmp_path / "pred.tif", tile=16)
    with rasterio.open(scene) as src, rasterio.open(out) as pred:
        assert pred.crs == src.crs and pred.transform == src.transform
        assert (pred.width, pred.height) == (src.width, src.height)
        p = pred.read(1)
        assert pred.nodata == NODATA
        cmap = pred.colormap(1)
        names = json.loads(pred.tags()["classes"])
    assert (p[5:9, 20:25] == NODATA).all()
    inside = np.delete(p.ravel(), np.flatnonzero((p == NODATA).ravel()))
    # the dataset's own class codes (1-6; 0 is background), not ordinals 0-5
    assert inside.size == 32 * 32 - 20 and set(inside.tolist()) <= {1, 2, 3, 4, 5, 6}
    assert set(names) == {"1", "2", "3", "4", "5", "6"}
    assert all(cmap[c][3] == 255 for c in range(1, 7))  # a colour per class for QGIS
    qml = (tmp_path / "pred.qml").read_text()
    assert qml.count("<paletteEntry") == 6 and 'value="6"' in qml


def test_predict_rejects_other_sensor(realdata, tmp_path, data_dir):
    from hsiadapt.experiment.predict import load_run_model  # noqa: F401

    with pytest.raises(FileNotFoundError):
        predict_scene(tmp_path / "no_run", data_dir / "hsi_folder/root/images/scene_0.tif",
                      tmp_path / "x.tif")
