"""Policy: turn one IncomingMessage into one Reply (answer, did-you-mean, fallback, small talk)."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, replace

from bot.core import commands, texts
from bot.core.address import AddressFinder
from bot.core.address_reply import ADDRESS_FAQ_ID, VERB, AddressReplies
from bot.core.commands import command_name
from bot.core.freshness import DEFAULT_STALE_DAYS, Clock, is_outdated
from bot.core.knowledge import FaqEntry, link_problem
from bot.core.live import LiveKnowledge, Snapshot
from bot.core.match import MatchResult
from bot.core.messages import (
    Candidate,
    Choice,
    IncomingMessage,
    MessageKind,
    Outcome,
    Reply,
    action,
    parse_action,
    with_feedback,
)
from bot.core.provinces import ProvinceProfile, fill_placeholders
from bot.core.smalltalk import SmallTalk, classify, strip_greeting

MAX_RELATED = 3
# Commands the responder answers on every channel (the registry: bot.core.commands).
CORE_COMMANDS = commands.RESPONDER_NAMES
ERASE_VERB = "erase"  # the button to /xoadulieu (bot.core.erasure)


def erase_choice() -> Choice:
    """The button that leads to the erasure confirmation (shown with /help)."""
    return Choice(texts.ERASE_BUTTON, ERASE_VERB)


@dataclass(frozen=True, slots=True)
class ResponderSettings:
    max_message_chars: int = 4000
    # An answer reviewed longer ago than this tells the citizen where to check it.
    stale_after_days: int = DEFAULT_STALE_DAYS
    # Replies to recent questions kept per knowledge version (0: none kept).
    answer_cache_size: int = 2048


class AnswerCache:
    """Replies to questions already answered, for the same words on the same snapshot and day.

    A reply to a question depends only on its (redacted, greeting-stripped) text, whether it
    was too long, the snapshot and today's date (the outdated notice); nothing of the citizen.
    A new snapshot (a knowledge reload) or a new day empties it. Bounded: least recently used
    replies go first."""

    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._replies: OrderedDict[tuple[str, bool, bool], Reply] = OrderedDict()
        self._snapshot: Snapshot | None = None
        self._day: dt.date | None = None
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, bool, bool], snapshot: Snapshot, day: dt.date) -> Reply | None:
        if snapshot is not self._snapshot or day != self._day:
            self._replies.clear()
            self._snapshot, self._day = snapshot, day
        reply = self._replies.get(key)
        if reply is None:
            self.misses += 1
            return None
        self._replies.move_to_end(key)
        self.hits += 1
        return reply

    def put(self, key: tuple[str, bool, bool], reply: Reply) -> None:
        if not self.size:
            return
        self._replies[key] = reply
        if len(self._replies) > self.size:
            self._replies.popitem(last=False)

    def __len__(self) -> int:
        return len(self._replies)


class Responder:
    """Stateless policy over the live knowledge; safe to share between tasks."""

    def __init__(
        self,
        live: LiveKnowledge,
        profile: ProvinceProfile,
        settings: ResponderSettings | None = None,
        *,
        today: Clock = dt.date.today,
        addresses: AddressFinder | None = None,
    ) -> None:
        self.live = live
        self.profile = profile
        self.settings = settings or ResponderSettings()
        self.today = today
        self.addresses = AddressReplies(addresses) if addresses is not None else None
        self.answers = AnswerCache(self.settings.answer_cache_size)

    # ------------------------------------------------------------------ public

    def respond(self, message: IncomingMessage) -> Reply:
        """The reply with every choice, 👍/👎 included, so text channels number them all."""
        return with_feedback(self._respond(message))

    def _respond(self, message: IncomingMessage) -> Reply:
        snapshot = self.live.current
        if message.action:
            return self.on_action(message.action, snapshot)
        if message.kind not in (MessageKind.TEXT, MessageKind.ACTION):
            return Reply(texts.NON_TEXT, Outcome.NON_TEXT)
        text = (message.text or "").strip()
        if not any(ch.isalnum() for ch in text):
            return Reply(texts.EMPTY, Outcome.EMPTY, choices=(self.menu_choice(),))
        command = command_name(text)
        if command is not None:
            return self.on_command(command, snapshot)
        small = classify(text)
        if small is not None:
            return self.on_smalltalk(small, snapshot)
        return self.answer_question(
            strip_greeting(text), snapshot, message.typed_length, redacted=message.redacted
        )

    def format(self, template: str) -> str:
        return fill_placeholders(template, self.profile)

    # ------------------------------------------------------------------ building blocks

    def menu_choice(self) -> Choice:
        return Choice(texts.MENU_BUTTON, "menu")

    def category_choices(self, snapshot: Snapshot) -> tuple[Choice, ...]:
        return tuple(
            Choice(c.label, action("cat", c.id))
            for c in snapshot.kb.categories
            if snapshot.kb.in_category(c.id)
        )

    def menu(self, snapshot: Snapshot, text: str = texts.MENU) -> Reply:
        return Reply(self.format(text), Outcome.MENU, choices=self.category_choices(snapshot))

    def entry_links(self, entry: FaqEntry) -> list[tuple[str, str]]:
        """(title, address) of each link with placeholders filled, each address once.

        Where a profile's portal is the national one, "{portal_url}" resolves to an address that
        another link names literally: it is shown once, where it first appears, under the title
        of the literal link (a province's title on the national address would mislead).
        """
        titles: dict[str, str] = {}
        literal: set[str] = set()
        for link in entry.links:
            if link_problem(link.url):
                continue  # stored before links were checked: never shown
            url = fill_placeholders(link.url, self.profile)
            if url not in titles or (url == link.url and url not in literal):
                titles[url] = link.title
            if url == link.url:
                literal.add(url)
        return [(title, url) for url, title in titles.items()]

    def entry_text(self, entry: FaqEntry) -> str:
        parts = [entry.question, fill_placeholders(entry.answer, self.profile)]
        links = self.entry_links(entry)
        if links:
            parts.append("\n".join(f"🔗 {title}: {url}" for title, url in links))
        footer: list[str] = []
        if entry.source:
            reviewed = (
                texts.REVIEWED.format(date=entry.reviewed.strftime("%d/%m/%Y"))
                if entry.reviewed
                else ""
            )
            footer.append(texts.ANSWER_FOOTER.format(source=entry.source, reviewed=reviewed))
        if is_outdated(entry, self.today(), self.settings.stale_after_days):
            # Never an old date without saying where the current rule is published.
            title, url = links[0] if links else (texts.PORTAL_PLACE, self.profile.portal_url)
            footer.append(texts.OUTDATED_NOTICE.format(place=f"{title}: {url}"))
        parts.append("\n".join(footer))
        return "\n\n".join(part.strip() for part in parts if part.strip())

    def answer_entry(
        self, entry: FaqEntry, snapshot: Snapshot, confidence: float = 1.0, normalized: str = ""
    ) -> Reply:
        related = [snapshot.kb.get(rid) for rid in entry.related]
        choices = tuple(
            Choice(rel.question, action("faq", rel.id))
            for rel in related
            if rel is not None and rel.status == "published"
        )[:MAX_RELATED]
        return Reply(
            self.entry_text(entry),
            Outcome.ANSWERED,
            choices=choices,
            faq_id=entry.id,
            confidence=confidence,
            candidates=(Candidate(entry.id, confidence),),
            ask_feedback=True,
            normalized=normalized,
        )

    def answer_question(
        self,
        text: str,
        snapshot: Snapshot,
        typed_length: int | None = None,
        *,
        redacted: bool = False,
    ) -> Reply:
        too_long = (typed_length or len(text)) > self.settings.max_message_chars
        if not self.answers.size:
            return self._answer_question(text, snapshot, too_long, redacted)
        key = (text, too_long, redacted)
        reply = self.answers.get(key, snapshot, self.today())
        if reply is None:
            reply = self._answer_question(text, snapshot, too_long, redacted)
            self.answers.put(key, reply)
        return reply

    def _answer_question(
        self, text: str, snapshot: Snapshot, too_long: bool, redacted: bool
    ) -> Reply:
        result = snapshot.matcher.match(text, redacted=redacted)
        if self.addresses is not None:
            top = result.candidates[0].faq_id if result.candidates else None
            address = self.addresses.reply(
                text,
                self.profile,
                snapshot.kb,
                asked=top == ADDRESS_FAQ_ID and result.status != "no_match",
                answered=result.status == "answered",
            )
            if address is not None:
                return replace(address, normalized=result.normalized)
        note = texts.TOO_LONG_NOTE if too_long else ""
        if result.status == "answered" and result.candidates:
            best = result.candidates[0]
            entry = snapshot.kb.get(best.faq_id)
            if entry is not None:
                reply = self.answer_entry(entry, snapshot, best.confidence, result.normalized)
                if note:
                    reply = replace(reply, text=f"{note}\n\n{reply.text}")
                return self.with_also_asked(
                    replace(reply, candidates=result.candidates), result, snapshot
                )
        if result.status == "ambiguous" and result.candidates:
            choices = tuple(
                Choice(entry.question, action("pick", entry.id))
                for entry in (snapshot.kb.get(c.faq_id) for c in result.candidates[:3])
                if entry is not None
            )
            body = f"{texts.DID_YOU_MEAN}"
            if note:
                body = f"{note}\n\n{body}"
            return Reply(
                body,
                Outcome.AMBIGUOUS,
                choices=(*choices, self.menu_choice()),
                confidence=result.candidates[0].confidence,
                candidates=result.candidates,
                normalized=result.normalized,
                hint=texts.DID_YOU_MEAN_HINT,
            )
        fallback = self.format(texts.FALLBACK)
        if note:
            fallback = f"{note}\n\n{fallback}"
        return Reply(
            fallback,
            Outcome.NO_MATCH,
            choices=self.category_choices(snapshot),
            confidence=result.candidates[0].confidence if result.candidates else 0.0,
            candidates=result.candidates,
            normalized=result.normalized,
        )

    def with_also_asked(self, reply: Reply, result: MatchResult, snapshot: Snapshot) -> Reply:
        """A letter's other question: named under the answer and offered as the first choice."""
        entries = [snapshot.kb.get(c.faq_id) for c in result.also]
        offered = [e for e in entries if e is not None and e.id != reply.faq_id]
        if not offered:
            return reply
        lines = "\n".join(texts.ALSO_ASKED.format(question=e.question) for e in offered)
        choices = tuple(Choice(e.question, action("pick", e.id)) for e in offered)
        kept = tuple(c for c in reply.choices if c not in choices)
        return replace(
            reply, text=f"{reply.text}\n\n{lines}", choices=(*choices, *kept)[: MAX_RELATED + 1]
        )

    # ------------------------------------------------------------------ handlers

    def on_command(self, command: str, snapshot: Snapshot) -> Reply:
        if command == commands.START:
            return self.menu(snapshot, texts.GREETING)
        if command == commands.HELP:
            choices = (self.menu_choice(), erase_choice())
            return Reply(texts.HELP, Outcome.COMMAND, choices=choices)
        if command == commands.MENU:
            return self.menu(snapshot)
        if command == commands.CONTACTS:
            return Reply(self.format(texts.CONTACTS), Outcome.COMMAND)
        return Reply(texts.UNKNOWN_COMMAND, Outcome.COMMAND, choices=(self.menu_choice(),))

    def on_smalltalk(self, kind: SmallTalk, snapshot: Snapshot) -> Reply:
        if kind is SmallTalk.GREETING:
            return self.menu(snapshot, texts.GREETING)
        if kind is SmallTalk.WHO:
            return Reply(self.format(texts.WHO_AM_I), Outcome.SMALLTALK, (self.menu_choice(),))
        if kind is SmallTalk.GOODBYE:
            return Reply(texts.GOODBYE, Outcome.SMALLTALK)
        return Reply(texts.THANKS, Outcome.SMALLTALK)

    def on_action(self, value: str, snapshot: Snapshot) -> Reply:
        verb, args = parse_action(value)
        if verb == "menu":
            return self.menu(snapshot)
        if verb == "cat" and args:
            category = snapshot.kb.category(args[0])
            if category is None:
                return Reply(texts.STALE, Outcome.STALE, choices=(self.menu_choice(),))
            entries = snapshot.kb.in_category(category.id)
            if not entries:
                return Reply(texts.CATEGORY_EMPTY, Outcome.MENU, choices=(self.menu_choice(),))
            return Reply(
                texts.CATEGORY.format(label=category.label),
                Outcome.MENU,
                choices=(
                    *(Choice(e.question, action("faq", e.id)) for e in entries),
                    self.menu_choice(),
                ),
            )
        if verb in ("faq", "pick") and args:
            entry = snapshot.kb.get(args[0])
            if entry is None or entry.status != "published":
                return Reply(texts.STALE, Outcome.STALE, choices=(self.menu_choice(),))
            return self.answer_entry(entry, snapshot)
        if verb == VERB and self.addresses is not None:
            return self.addresses.on_action(args, self.profile, snapshot.kb)
        return Reply(texts.STALE, Outcome.STALE, choices=(self.menu_choice(),))
