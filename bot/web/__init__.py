"""The one aiohttp server: channels, the web chat, the staff console and health add routes to it."""
