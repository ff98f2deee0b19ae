"""Regenerate the figures in docs/spectral.md: .venv/bin/python docs/figures/make_spectral_figures.py"""

from pathlib import Path

from hsiadapt.spectral import build_map, get_sensor
from hsiadapt.spectral.plot import plot_integrations, plot_map

HERE = Path(__file__).parent
s2 = get_sensor("sentinel2_l2a")
plot_integrations(get_sensor("enmap_spectralearth"), s2, HERE / "integrations_enmap_s2.png")
plot_map(build_map(get_sensor("enmap_spectralearth"), s2, "srf", integration="boxcar"),
         HERE / "srf_enmap_spectralearth_s2.png")
plot_map(build_map(get_sensor("hyperview"), s2, "srf", coverage="drop"),
         HERE / "srf_hyperview_s2_drop.png")
print("written to", HERE)
