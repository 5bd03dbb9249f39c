"""The web chat over the project's knowledge plus a hostile entry, on each database backend."""

from __future__ import annotations

import datetime as dt

from bot.channels.web import WebChat, web_chat
from bot.config import PROJECT_ROOT, Settings
from bot.core.assistant import Ports
from bot.core.knowledge import FaqEntry, KnowledgeBase, Link, load_knowledge_dir
from bot.runtime import Runtime, make_runtime
from bot.storage import Storage

KNOWLEDGE = PROJECT_ROOT / "knowledge"
HOSTILE_ID = "help.hostile_markup"
# Knowledge text a careless editor (or an attacker with an editor's account) could save.
HOSTILE_ANSWER = (
    'Thử <script>window.__pwned=1</script> và "><img src=x onerror="window.__pwned=2">.\n\n'
    "1. Bước một <b>đậm</b>\n"
    "2. Bước hai: gọi 1900 1234\n\n"
    "Xem javascript:alert(1) hoặc https://dichvucong.gov.vn/trang?a=1&b=2.\n"
    "Thư: mailto:hotro@dichvucong.example.gov.vn; data:text/html,<b>x</b>"
)
HOSTILE = FaqEntry(
    id=HOSTILE_ID,
    category="help",
    question="Mã độc thử nghiệm <img src=x onerror=alert(1)> xuất hiện thế nào?",
    alternates=(
        "ma doc thu nghiem xuat hien the nao",
        "câu hỏi mã độc thử nghiệm",
        "mã độc thử nghiệm là gì",
        "ma doc thu nghiem o dau",
        "thử nghiệm mã độc trên trang",
        "xem mã độc thử nghiệm",
    ),
    answer=HOSTILE_ANSWER,
    links=(Link("Cổng <b>DVC</b>", "https://dichvucong.gov.vn"),),
)


def knowledge_with_hostile_entry() -> KnowledgeBase:
    kb = load_knowledge_dir(KNOWLEDGE)
    return KnowledgeBase.build(kb.categories, (*kb.entries, HOSTILE))


def build(storage: Storage, settings: Settings) -> tuple[Runtime, WebChat]:
    ports = Ports(
        log=storage.conversations,
        feedback=storage.feedback,
        subscriptions=storage.subscriptions,
        users=storage.users,
        eraser=storage.erasure,
    )
    runtime = make_runtime(settings, knowledge_with_hostile_entry(), ports=ports, storage=storage)
    return runtime, web_chat(settings, runtime.assistant.handle, storage)


class Clock:
    """A settable UTC clock for rate windows and session expiry."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 11, 30, 8, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)
