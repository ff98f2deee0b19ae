"""Backbones, heads and tasks. The only package that imports terratorch (lazily, in submodules)."""
