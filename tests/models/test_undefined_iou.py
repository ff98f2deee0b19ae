"""A class with no test pixel: its IoU is reported as undefined (metrics.json, run output, table),
left out of the mIoU mean (not counted as 0, not making mIoU NaN). Fails before miou_classes and
undefined_classes existed."""

import json
import math

import numpy as np
import pytest

from hsiadapt.experiment.record import RunRecord
from hsiadapt.experiment.sweep import _undefined_note
from hsiadapt.experiment.table import build_table
from hsiadapt.models.metrics import segmentation_scores, undefined_classes


def _test_metrics(cm, names):
    s = segmentation_scores(np.asarray(cm), names)
    out = {k: v for k, v in s.items() if k != "iou_per_class"}
    out.update({f"iou/{n}": v for n, v in zip(names, s["iou_per_class"], strict=True)})
    return out


# truth rows, prediction columns; class_7 has no test pixel and is never predicted
CM = [[8, 2, 0], [1, 9, 0], [0, 0, 0]]
NAMES = ["tree", "water", "class_7"]


def test_absent_class_is_named_and_left_out_of_the_mean():
    m = _test_metrics(CM, NAMES)
    assert math.isnan(m["iou/class_7"]) and m["miou_classes"] == 2
    assert m["miou"] == pytest.approx((8 / 11 + 9 / 12) / 2)  # finite, over tree and water
    assert undefined_classes(m) == ["class_7"]
    # a class missing from the truth but predicted counts: IoU 0, in the mean
    m2 = _test_metrics([[8, 2, 0], [1, 8, 1], [0, 0, 0]], NAMES)
    assert m2["iou/class_7"] == 0 and m2["miou_classes"] == 3 and not undefined_classes(m2)
    # metrics.json keeps the NaN (Python's json reads it back), the key is not dropped
    assert math.isnan(json.loads(json.dumps(m, default=float))["iou/class_7"])


def test_run_output_and_table_say_which_class_was_left_out():
    m = _test_metrics(CM, NAMES)
    note = _undefined_note(m)
    assert "class_7: no pixel in the test split" in note and "other 2 classes" in note
    assert _undefined_note(_test_metrics([[8, 2], [1, 9]], NAMES[:2])) == ""
    rec = RunRecord(run_id="t__m__srf__seed0", status="finished", task="t", backbone="m",
                    adapter="srf", seed=0, task_type="segmentation", test=m)
    text = build_table([rec]).render("md")
    line = next(ln for ln in text.splitlines() if "IoU undefined" in ln)
    assert "class_7" in line and "m / srf" in line and "not counted as 0" in line
    assert f"{m['miou']:.3f}" in text  # the row shows the finite mean, not NaN
