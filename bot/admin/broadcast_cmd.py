"""``python -m bot broadcast send|resume|status``: staff create, continue and watch runs."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from bot.admin.common import dump_json, settings_from, setup_logging
from bot.broadcast import texts
from bot.broadcast.lease import LeaseInfo
from bot.broadcast.options import BroadcastConfigError
from bot.broadcast.runs import RunReport
from bot.broadcast.senders import ChannelError, Sender
from bot.broadcast.service import BroadcastInputError, BroadcastService
from bot.broadcast.when import parse_when
from bot.config import Settings

EXIT_INPUT = 2
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("broadcast", help="send tips and announcements to subscribers")
    commands = parser.add_subparsers(dest="broadcast_command", metavar="ACTION", required=True)

    send = commands.add_parser("send", help="create a run (and deliver it now unless --at)")
    what = send.add_mutually_exclusive_group(required=True)
    what.add_argument("--text", help="announcement text (plain text, up to 4,096 characters)")
    what.add_argument("--tip", metavar="ID", help="send this tip from the tips library")
    send.add_argument("--at", metavar="TIME", help="'YYYY-MM-DD HH:MM' or 'HH:MM', local time")
    send.add_argument("--by", default=None, help="who sends it (default: the OS user)")
    send.set_defaults(func=cmd_send)

    resume = commands.add_parser("resume", help="continue every unfinished run")
    resume.add_argument(
        "--resend-unknown",
        action="store_true",
        help="also resend messages whose fate a crash left unknown (may duplicate)",
    )
    resume.add_argument("--retry-failed", action="store_true", help="retry failed messages")
    resume.add_argument("--run", type=int, default=None, help="only this run (with the flags)")
    resume.set_defaults(func=cmd_resume)

    status = commands.add_parser("status", help="per run: sent, failed, blocked, pending")
    status.add_argument("--json", action="store_true", help="a JSON array of runs")
    status.add_argument("--limit", type=int, default=20, help="newest runs to show")
    status.add_argument("--run", type=int, default=None, help="only this run")
    status.set_defaults(func=cmd_status)


@contextlib.asynccontextmanager
async def open_service(
    settings: Settings, *, channels: bool = True, start: bool = True
) -> AsyncIterator[BroadcastService]:
    from bot.storage import Storage

    storage = await Storage.open(settings)
    try:
        from bot.runtime import broadcast_senders

        senders: dict[str, Sender] = broadcast_senders(settings) if channels else {}
        service = await BroadcastService.open(
            settings, storage.session_factory, senders=senders, start=start
        )
        try:
            yield service
        finally:
            await service.close()
    finally:
        await storage.close()


def _run(settings: Settings, body: Callable[[], Awaitable[int]]) -> int:
    """Run a command body, turning known failures into one clear line and an exit code."""
    del settings
    try:
        return asyncio.run(_call(body))
    except (BroadcastInputError, BroadcastConfigError, ChannelError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        raise  # the reader stopped (`| head`): not a database problem
    except (SQLAlchemyError, OSError) as exc:
        print(texts.DB_UNAVAILABLE.format(error=_short(exc)), file=sys.stderr)
        return EXIT_FAILED


async def _call(body: Callable[[], Awaitable[int]]) -> int:
    return await body()


def _short(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def cmd_send(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)
    if settings.telegram_bot_token is None:
        print(texts.NO_CHANNEL, file=sys.stderr)
        return EXIT_INPUT

    async def body() -> int:
        async with open_service(settings, start=False) as service:
            from bot.storage import current_actor

            by = args.by or current_actor()
            at = None
            if args.at:
                try:
                    at = parse_when(args.at, service.options.timezone, service.clock.now())
                except ValueError as exc:
                    raise BroadcastInputError(str(exc)) from exc
            # Check the input before connecting to Telegram or recording anything.
            await service.check_request(text=args.text, tip_id=args.tip, at=at)
            await service.start()
            if args.text is not None:
                run_id = await service.create_announcement(args.text, by, at)
            else:
                run_id = await service.create_tip_run(by, args.tip, at)
            if at is not None:
                local = at.astimezone(service.options.timezone)
                print(texts.RUN_SCHEDULED.format(run_id=run_id, when=f"{local:%Y-%m-%d %H:%M}"))
                return 0
            report = await deliver_watched(service, run_id)
            return _conclude(report)

    return _run(settings, body)


def cmd_resume(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)
    if settings.telegram_bot_token is None:
        print(texts.NO_CHANNEL, file=sys.stderr)
        return EXIT_INPUT

    async def body() -> int:
        async with open_service(settings) as service:
            unknown, failed = await service.requeue(
                resend_unknown=args.resend_unknown, retry_failed=args.retry_failed, run_id=args.run
            )
            if args.resend_unknown:
                print(texts.RESEND_UNKNOWN.format(count=unknown))
            if args.retry_failed:
                print(texts.RETRY_FAILED.format(count=failed))
            runs = await service.runs.open_runs(service.clock.now())
            if not runs:
                print(texts.NOTHING_TO_RESUME)
                return 0
            code = 0
            for run in runs:
                code = max(code, _conclude(await deliver_watched(service, run.id)))
                if code == EXIT_INTERRUPTED:
                    break
            return code

    return _run(settings, body)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    setup_logging(settings, quiet=True)

    async def body() -> int:
        async with open_service(settings, channels=False) as service:
            ids = [args.run] if args.run is not None else None
            reports = await service.reports(ids, limit=args.limit)
        if args.json:
            print(dump_json([r.to_json() for r in reports]))
            return 0
        if not reports:
            print("Chưa có đợt gửi nào.")
        for report in reports:
            print(_line(report))
        return 0

    return _run(settings, body)


def _line(r: RunReport) -> str:
    kind = texts.KIND_NAMES.get(r.kind, r.kind)
    status = texts.STATUS_NAMES.get(r.status, r.status)
    return (
        f"#{r.id} {kind} [{status}] {r.summary!r}: {r.sent}/{r.total} đã gửi, "
        f"{r.failed} lỗi, {r.blocked} chặn bot, {r.pending + r.sending} chờ, {r.unknown} không rõ, "
        f"{r.rate:.1f} tin/giây, {_duration(r.duration)}"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def _conclude(report: RunReport) -> int:
    if report.status != "finished":
        print(texts.INTERRUPTED, file=sys.stderr)
        return EXIT_INTERRUPTED
    print(
        texts.RUN_DONE.format(
            run_id=report.id,
            sent=report.sent,
            failed=report.failed,
            blocked=report.blocked,
            unknown=report.unknown,
            skipped=report.skipped,
            rate=report.rate,
            duration=_duration(report.duration),
        )
    )
    if report.total == 0:
        print(texts.RUN_NO_RECIPIENTS.format(run_id=report.id))
    if report.unknown:
        print(texts.UNKNOWN_HINT.format(unknown=report.unknown))
    return 0


async def deliver_watched(service: BroadcastService, run_id: int) -> RunReport:
    """Deliver with a progress bar on a terminal; Ctrl-C stops cleanly (nothing left 'sending')."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, service.stop_delivering)
        loop.add_signal_handler(signal.SIGTERM, service.stop_delivering)
    said: set[str] = set()

    async def waiting(info: LeaseInfo | None) -> None:
        if "other" not in said:
            said.add("other")
            holder = info.holder if info is not None else "?"
            print(texts.OTHER_WORKER.format(holder=holder, channel="Telegram"), file=sys.stderr)
        await service.clock.sleep(2.0)

    watcher = asyncio.create_task(_watch(service, run_id, said))
    try:
        return await service.deliver(run_id, waiting=waiting)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        if sys.stderr.isatty():
            sys.stderr.write("\n")
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
            loop.remove_signal_handler(signal.SIGTERM)


async def _watch(service: BroadcastService, run_id: int, said: set[str]) -> None:
    tty = sys.stderr.isatty()
    while True:
        await asyncio.sleep(0.5)
        with contextlib.suppress(SQLAlchemyError, OSError):
            report = (await service.reports([run_id]))[0]
            if report.status == "paused" and "quiet" not in said:
                said.add("quiet")
                quiet = service.options.quiet
                until = quiet.resume_at(service.clock.now()).astimezone(service.options.timezone)
                print(
                    texts.QUIET_PAUSE_CLI.format(
                        window=quiet.describe(), run_id=run_id, until=f"{until:%H:%M %d/%m}"
                    ),
                    file=sys.stderr,
                )
            if tty:
                sys.stderr.write("\r" + _bar(report))


def _bar(r: RunReport) -> str:
    done = r.total - r.pending - r.sending
    percent = done * 100 // r.total if r.total else 100
    filled = percent // 4
    return (
        f"#{r.id} [{'█' * filled}{'·' * (25 - filled)}] {done}/{r.total} "
        f"· gửi {r.sent} · lỗi {r.failed} · chặn {r.blocked} · {r.rate:.1f} tin/giây  "
    )
