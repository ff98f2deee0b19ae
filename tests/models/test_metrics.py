import numpy as np
import pytest
import torch

from hsiadapt.models.metrics import confusion_matrix, hyperview_score, segmentation_scores


def test_miou_with_ignore_and_absent_class():
    target = torch.tensor([[0, 0, 1, 1], [2, 2, -1, -1]])
    pred = torch.tensor([[0, 1, 1, 1], [0, 2, 3, 3]])
    cm = confusion_matrix(pred, target, 4)
    # ignored pixels skipped: class 3 predicted only on ignored pixels -> absent (NaN)
    assert cm.sum() == 6
    s = segmentation_scores(cm)
    # by hand: class0 TP1 FP1 FN1 -> 1/3; class1 TP2 FP1 FN0 -> 2/3; class2 TP1 FP0 FN1 -> 1/2
    assert s["iou_per_class"][:3] == pytest.approx([1 / 3, 2 / 3, 1 / 2])
    assert np.isnan(s["iou_per_class"][3])
    assert s["miou"] == pytest.approx((1 / 3 + 2 / 3 + 1 / 2) / 3)
    assert s["iou_micro"] == pytest.approx(4 / (4 + 2 + 2))
    assert s["pixel_accuracy"] == pytest.approx(4 / 6)


def test_miou_with_background_class():
    cm = np.array([[5, 0, 0], [0, 3, 1], [0, 1, 10]])  # last = Background
    s = segmentation_scores(cm, ["a", "b", "Background"])
    iou = [1.0, 3 / 5, 10 / 12]
    assert s["miou"] == pytest.approx(np.mean(iou))
    assert s["miou_without_background"] == pytest.approx(np.mean(iou[:2]))


def test_confusion_rejects_bad_labels():
    with pytest.raises(ValueError, match="labels outside"):
        confusion_matrix(torch.tensor([0]), torch.tensor([5]), 3)


def test_hyperview_score_known_baseline():
    y = np.array([[10.0, 1.0], [20.0, 3.0], [30.0, 5.0]])
    mean = np.array([20.0, 3.0])  # baseline MSE: 200/3 and 8/3
    pred = np.array([[12.0, 1.0], [20.0, 4.0], [28.0, 5.0]])  # MSE: 8/3 and 1/3
    s = hyperview_score(pred, y, mean, targets=("P", "K"))
    assert s["mse_P"] == pytest.approx(8 / 3) and s["mse_K"] == pytest.approx(1 / 3)
    assert s["mse_ratio_P"] == pytest.approx(0.04) and s["mse_ratio_K"] == pytest.approx(0.125)
    assert s["hyperview_score"] == pytest.approx((0.04 + 0.125) / 2)
    assert hyperview_score(pred, y, mean, ("P", "K"), "sum")["hyperview_score"] == pytest.approx(0.165)
    assert hyperview_score(np.tile(mean, (3, 1)), y, mean, ("P", "K"))["hyperview_score"] == 1.0
