"""Syntax: parsing Rust with tree-sitter (the only importer of ``tree_sitter``), and what one
file says: its items, its reference facts, incremental re-parsing of edited files."""
