"""Channel-free core: pure Python, no SDK, database or scheduler imports."""
