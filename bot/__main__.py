"""Entry point for ``python -m bot``."""

from bot.admin.cli import main

raise SystemExit(main())
