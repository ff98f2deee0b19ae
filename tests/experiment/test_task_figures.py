"""A task type's own figures are found through a registry (no chain on task names): each entry
names a task type that exists, so a misspelt one cannot silently draw nothing."""

from hsiadapt.experiment.figures import TASK_FIGURES
from hsiadapt.models.task import TASKS


def test_every_task_figure_entry_names_a_registered_task_type():
    assert set(TASK_FIGURES.names()) <= set(TASKS.names())
    assert {"segmentation", "regression"} <= set(TASK_FIGURES.names())
