"""terratorch imports this folder (``custom_modules_path``): it registers hsiadapt's
``hsiadapt_spectral`` backbone in terratorch's backbone registry."""

import hsiadapt.models.terratorch_plugin  # noqa: F401  (registers hsiadapt_spectral)
