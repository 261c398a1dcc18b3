; Syntax errors left by tree-sitter's error recovery.
(ERROR) @error
(MISSING) @error.missing
