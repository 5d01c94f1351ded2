"""The bot's own web pages, served by the same aiohttp server as the provider callbacks."""
