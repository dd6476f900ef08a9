"""Where records come from: NCBI E-utilities (the only HTTP), the harvest, file imports and duplicate clustering."""
