"""hsiadapt: hyperspectral imagery for multispectral geospatial foundation models."""

__version__ = "0.1.0"
