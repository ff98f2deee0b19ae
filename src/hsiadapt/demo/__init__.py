"""The embedded demo benchmark (real earthlib spectra laid out as scenes) and ``hsiadapt demo``.

Not to be confused with the performance scripts in the repository's ``benchmarks/`` folder.
Importing this package registers the demo's dataset loaders (``demo_landcover``,
``demo_minerals``, ``demo_canopy``); the generator is imported only when data are made.
"""

from hsiadapt.demo import datasets as _datasets  # noqa: F401  (registers the demo loaders)
