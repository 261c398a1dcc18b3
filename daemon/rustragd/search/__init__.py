"""Search: the symbol table, lexical (tantivy) and vector (hnswlib) indexes, the embedder
(onnxruntime) and hybrid retrieval for ``ask``."""
