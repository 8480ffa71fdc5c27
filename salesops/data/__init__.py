"""The data layer: the canonical tables, reading them from a source, and checking them."""
