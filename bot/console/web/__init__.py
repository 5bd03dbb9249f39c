"""The console's pages on aiohttp: an application mounted under /staff of the shared server."""
