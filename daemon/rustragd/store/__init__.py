"""Store: the embedded CozoDB of each workspace (the only importer of ``pycozo``), the
embedding cache in it, and the write-behind queue of live edits."""
