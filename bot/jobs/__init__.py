"""The job engine: store, queue, watcher. No discord import."""
