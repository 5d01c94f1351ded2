"""mjbot: a self-hosted Discord bot for Midjourney through the TT API."""

__version__ = "0.1.0"
