"""What ``hsiadapt run --dry-run`` says of each run: the status the real run would act on.

A finished run whose settings, data or named files changed since it ran is not "finished" for
the real run, which moves it aside and runs it again (:func:`hsiadapt.experiment.run.reusable`);
the dry run says so, with what changed, so the two agree.
"""

from __future__ import annotations

from pathlib import Path

from hsiadapt.experiment.config import RunSpec
from hsiadapt.experiment.record import run_status
from hsiadapt.experiment.run import reusable

__all__ = ["planned_status"]


def planned_status(spec: RunSpec, run_dir: str | Path) -> str:
    """``finished`` (will be skipped), ``will run again: <what changed>``, or the folder's status
    (``failed``, ``partial``, ``pending``), for the run ``spec`` in ``run_dir``."""
    status = run_status(run_dir)
    if status != "finished":
        return status
    ok, why = reusable(spec, Path(run_dir))
    return status if ok else f"will run again: {why or 'the run changed'}"
