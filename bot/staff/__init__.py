"""Channel-free staff service: stats, inbox decisions, reload and broadcast confirmation."""
