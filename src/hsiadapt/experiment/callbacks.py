"""Lightning callbacks of a run: the lock's heartbeat."""

from __future__ import annotations

from typing import Any

from lightning.pytorch.callbacks import Callback

from hsiadapt.experiment.lock import RunLock

__all__ = ["Heartbeat"]


class Heartbeat(Callback):
    """Touches the run's lock as training and evaluation go on (see :mod:`.lock`)."""

    def __init__(self, lock: RunLock) -> None:
        self.lock = lock

    def on_train_batch_end(self, *args: Any, **kwargs: Any) -> None:
        self.lock.heartbeat()

    def on_validation_batch_end(self, *args: Any, **kwargs: Any) -> None:
        self.lock.heartbeat()

    def on_test_batch_end(self, *args: Any, **kwargs: Any) -> None:
        self.lock.heartbeat()
