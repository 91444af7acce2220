"""Discord-facing presentation helpers: time formatting, replies, base views and translation."""
