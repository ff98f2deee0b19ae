"""The embedded benchmark's class tables (code -> name), shared by its generator and loaders."""

__all__ = ["LANDCOVER", "MINERALS"]

LANDCOVER = {  # class code -> (name, earthlib LEVEL_3 classes)
    1: ("vegetation", ("canopy",)),
    2: ("bare soil", ("soil", "dirt", "sand")),
    3: ("built-up", ("asphalt", "road", "parking_lot", "sidewalk", "driveway", "comp_shingle",
                     "concrete_tile", "tile", "metal", "paint", "wood_shingle", "bridge")),
    4: ("npv and char", ("bark", "litter", "npv", "wood", "char")),
}
MINERALS = {1: "Al-OH (2200 nm)", 2: "carbonate (2340 nm)", 3: "iron oxide (900 nm)",
            4: "weak features"}
