"""Start the assistant: ``python run_bot.py [--role web|bot|all]`` (see README, bot/roles.py)."""

import sys

from bot.app import main

if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
