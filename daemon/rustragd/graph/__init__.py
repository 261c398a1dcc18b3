"""Graph: names resolved through scopes into edges and types, for a workspace or one edited
file, and the in-memory adjacency that answers graph questions."""
