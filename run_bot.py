"""Start the assistant: Telegram when TELEGRAM_BOT_TOKEN is set, otherwise the console chat."""

from bot.app import main

if __name__ == "__main__":
    raise SystemExit(main())
