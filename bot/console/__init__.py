"""The staff web console: accounts, sessions and the pages served under /staff."""
