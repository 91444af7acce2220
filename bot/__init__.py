"""The CISIP community bot."""

__version__ = "0.1.0"
