"""Macros: crate-local ``macro_rules!`` expanded on tokens, and the items their invocations make."""
