"""Domain rules: plain functions with no Flask in them (STYLE §4)."""
