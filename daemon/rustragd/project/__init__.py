"""Project: the Cargo view of a workspace: its crates, its source files, their module paths
and targets, and which items are test code."""
