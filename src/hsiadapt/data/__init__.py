"""The data pipeline: dataset -> fixed adapter (or its cache) -> augment -> normalise -> batch.

Above :mod:`hsiadapt.datasets` (the readers) and :mod:`hsiadapt.adapters`; knows nothing of
models: a backbone's pretraining statistics reach it as a :class:`~hsiadapt.data.stats.BandStatistics`.
"""
