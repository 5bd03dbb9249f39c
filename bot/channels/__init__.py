"""Channel adapters: translate platform updates into IncomingMessage and render Reply values."""
