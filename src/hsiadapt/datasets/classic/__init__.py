"""Classic labelled scenes (Indian Pines, Salinas, Pavia University, KSC, Botswana): their
``.mat`` layouts and band tables with sources (:mod:`.scenes`), a reader (:mod:`.mat`),
spatially disjoint block splits (:mod:`.blocks`) and the writer of the folder layout that
``hsi_folder`` reads (:mod:`.write`). ``hsiadapt classic NAME`` drives them
(:func:`prepare_scene`); see docs/classic_scenes.md."""

from hsiadapt.datasets.classic.blocks import BlockSplit, split_blocks
from hsiadapt.datasets.classic.mat import read_mat_variable, read_scene
from hsiadapt.datasets.classic.prepare import band_table_for, prepare_scene
from hsiadapt.datasets.classic.scenes import SCENES, SOURCES, ClassicScene, get_scene
from hsiadapt.datasets.classic.write import WrittenScene, write_scene_folder

__all__ = ["SCENES", "SOURCES", "BlockSplit", "ClassicScene", "WrittenScene", "band_table_for",
           "get_scene", "prepare_scene", "read_mat_variable", "read_scene", "split_blocks",
           "write_scene_folder"]
