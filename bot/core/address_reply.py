"""Address lookup in the chat: when a message is an old-address question, and what to reply.

The responder asks :meth:`AddressReplies.reply` after matching the FAQ: a message that is an
address ("ấp 3 xã Phú Túc huyện Châu Thành tỉnh Bến Tre"), or asks about one ("xã Phú Túc cũ
giờ là xã nào"), or matched the FAQ entry on address lookup gets the lookup result instead of
a neighbouring answer. Choices carry "addr:<kind>:<official code>" (well under 64 bytes).
"""

from __future__ import annotations

import re

from bot.core.address import AddressFinder
from bot.core.address_book import AnyUnit, Level, OldDistrict, OldWard, Ward
from bot.core.address_result import AddressResult, Resolution, Status
from bot.core.knowledge import KnowledgeBase
from bot.core.messages import Candidate, Choice, Outcome, Reply, action
from bot.core.normalize import clean
from bot.core.provinces import ProvinceProfile
from bot.core.tones import fold

ADDRESS_FAQ_ID = "help.address_lookup"
AFTER_MERGER_FAQ_ID = "service.after_merger"  # are papers with the old address still valid
VERB = "addr"
MAX_CHOICES = 8
ADDRESS_SHARE = 0.6  # a message whose words are mostly address words is an address

_LEVEL_CODES = {
    "w": Level.WARD,
    "d": Level.DISTRICT,
    "p": Level.PROVINCE,
    "n": Level.NEW_WARD,
    "np": Level.NEW_PROVINCE,
}
_LEVEL_LETTERS = {level: letter for letter, level in _LEVEL_CODES.items()}
# Words that ask about the 2025 reorganisation; matched on folded text, so several words each.
_CUE_RE = re.compile(
    r"\b(sap nhap|sap xep|gio la|nay la|gio thuoc|nay thuoc|con thuoc|thuoc (xa|phuong|tinh)"
    r"|(xa|phuong|tinh|dia chi|ten) moi|doi ten|truoc day|truoc 1 ?7)\b"
)
_OLD_RE = re.compile(r"\bcũ\b")  # "cũ" only with its accent: folded "cu" is also cư, củ…

EXAMPLE = "xã Phú Túc, huyện Châu Thành, tỉnh Bến Tre"
HOW_TO = (
    "Bạn gõ địa chỉ cũ (trước 01/7/2025) theo mẫu: xã …, huyện …, tỉnh … "
    f"(ví dụ: “{EXAMPLE}”). Gõ không dấu hoặc viết tắt x., h., tp. cũng được."
)
NOT_FOUND = "Tôi chưa tìm thấy {what} trong danh mục xã, phường trước 01/7/2025."
OLD_TO_NEW = "📍 Địa chỉ cũ: {old}\n➡️ Từ 01/7/2025 thuộc: {new}"
CURRENT = (
    "📍 {new} là tên đơn vị hành chính hiện hành (từ 01/7/2025). Nếu đây là địa chỉ cũ, "
    "bạn gõ thêm huyện và tỉnh cũ để tôi tra lại."
)
SPLIT = (
    "📍 Địa chỉ cũ: {old}\n"
    "➡️ Từ 01/7/2025, xã/phường này được chia cho {count} xã/phường mới:\n{items}\n\n"
    "Dữ liệu không cho biết thôn, ấp, khu phố của bạn thuộc phần nào: hãy hỏi UBND xã/phường "
    "nơi bạn ở. Chọn một xã/phường để xem thêm."
)
SAME_NAME = "Trước 01/7/2025 có {count} nơi tên “{name}”. Bạn ở nơi nào?"
NEAR_NAMES = "Tôi chưa thấy đúng tên bạn gõ. Có phải bạn ở một trong những nơi này?"
NEAR_MANY = (
    "Tôi chưa thấy đúng tên bạn gõ; có nhiều nơi tên gần giống. Bạn gõ thêm huyện và tỉnh cũ, "
    "ví dụ: “xã …, huyện …, tỉnh …”."
)
SAME_NAME_MANY = (
    "Trước 01/7/2025 có {count} nơi tên “{name}”. Bạn gõ thêm huyện và tỉnh cũ, ví dụ: "
    "“{kind} {name}, huyện …, tỉnh …”."
)
DISTRICT = (
    "📍 {old} (trước 01/7/2025) nay thuộc {new}.\n\n"
    "Từ 01/7/2025 không còn cấp huyện; các xã, phường của huyện được sắp xếp lại thành xã, "
    "phường mới. Để biết xã/phường mới của bạn, hãy gõ thêm tên xã cũ, ví dụ: “xã …, {old}”."
)
PROVINCE_MERGED = (
    "📍 {old} (trước 01/7/2025) nay thuộc {new}; từ 01/7/2025, {new} gồm {parts}.\n\n"
    "Để biết xã/phường mới của bạn, hãy gõ thêm xã và huyện cũ, ví dụ: “xã …, huyện …, {old}”."
)
PROVINCE_GREW = (
    "📍 Từ 01/7/2025, {new} gồm {parts}.\n\n"
    "Để biết xã/phường mới của bạn, hãy gõ thêm xã và huyện cũ, ví dụ: “xã …, huyện …, {old}”."
)
PROVINCE_SAME = (
    "📍 {old} không sáp nhập với tỉnh nào khác, vẫn là {new}; các xã, phường đã được sắp xếp "
    "lại từ 01/7/2025.\n\n"
    "Để biết xã/phường mới của bạn, hãy gõ thêm xã và huyện cũ, ví dụ: “xã …, huyện …, {old}”."
)
CENTRE = "🏢 Nơi tiếp nhận hồ sơ của {ward}: {details}"
NO_CENTRE = "🏢 Thủ tục cấp xã nay làm tại UBND hoặc Trung tâm Phục vụ hành chính công của {ward}."
CHECK = (
    "🔎 Kiểm tra chính thức: hỏi UBND xã/phường nơi bạn ở, hoặc tra Danh mục đơn vị hành chính "
    "của Cục Thống kê: https://danhmuchanhchinh.gso.gov.vn"
)
DATA_NOTE = "Tra theo bộ dữ liệu mở về sắp xếp đơn vị hành chính năm 2025 ({source})."


class AddressReplies:
    """Builds chat replies from address lookups; stateless."""

    def __init__(self, finder: AddressFinder) -> None:
        self.finder = finder
        source = finder.book.source
        self.data_note = DATA_NOTE.format(
            source=f"{source.get('package', '?')} {source.get('version', '')}".strip()
        )

    def reply(
        self,
        text: str,
        profile: ProvinceProfile,
        kb: KnowledgeBase,
        *,
        asked: bool,
        answered: bool,
    ) -> Reply | None:
        """The address reply for ``text``, or None when it is not an address question.

        ``asked``: the FAQ matcher's best guess is the address-lookup entry;
        ``answered``: the matcher is confident about some entry.
        """
        found = self.finder.find(text)
        cue = _has_cue(text)
        addressy = found.coverage >= ADDRESS_SHARE
        if found.status is Status.NOT_FOUND:
            if found.typed_unit and (asked or cue or (addressy and not answered)):
                return self._not_found(found, kb)
            if cue and not asked and not answered:
                return self._reply(HOW_TO, Outcome.NO_MATCH, kb)
            return None
        if not (asked or addressy or (cue and found.typed_unit)):
            return None
        return self.render(found, profile, kb)

    def on_action(self, args: list[str], profile: ProvinceProfile, kb: KnowledgeBase) -> Reply:
        """A tapped choice: "addr:w:28819" and the like."""
        level = _LEVEL_CODES.get(args[0]) if len(args) == 2 else None
        found = self.finder.resolve(level, args[1]) if level is not None else None
        if found is None or found.status is Status.NOT_FOUND:
            return self._reply(HOW_TO, Outcome.STALE, kb)
        return self.render(found, profile, kb)

    # ------------------------------------------------------------------ rendering

    def render(self, found: AddressResult, profile: ProvinceProfile, kb: KnowledgeBase) -> Reply:
        if found.status is Status.NOT_FOUND:
            return self._not_found(found, kb)
        first = found.results[0]
        if found.split:
            items = "\n".join(f"{i}. {_new_place(r)}" for i, r in enumerate(found.results, 1))
            text = SPLIT.format(old=_old_place(first), count=len(found.results), items=items)
            choices = tuple(
                Choice(_new_place(r), _choice_action(r.ward))
                for r in found.results[:MAX_CHOICES]
                if r.ward is not None
            )
            return self._reply(text, Outcome.AMBIGUOUS, kb, choices, notes=(CHECK,))
        if found.status is Status.AMBIGUOUS:
            return self._same_name(found, kb)
        parts: list[str] = []
        if found.unmatched:
            parts.append(NOT_FOUND.format(what=f"“{found.unmatched}”"))
        if first.level == "ward" and first.ward is not None:
            if first.current:
                parts.append(CURRENT.format(new=_new_place(first)))
            else:
                parts.append(OLD_TO_NEW.format(old=_old_place(first), new=_new_place(first)))
            parts.append(_centre(profile, first.ward))
        elif first.level == "district" and first.old_district is not None:
            parts.append(DISTRICT.format(old=_old_place(first), new=first.province.title))
        else:
            parts.append(self._province(first))
        return self._reply(
            "\n\n".join(parts), Outcome.ANSWERED, kb, _after_merger(kb), notes=(CHECK,)
        )

    def _province(self, found: Resolution) -> str:
        new = found.province
        olds = [p for p in self.finder.book.old_provinces if p.new is new]
        old = found.old_province or next((p for p in olds if p.name == new.name), None)
        if old is None:  # the text named a current province with a new name
            return CURRENT.format(new=new.title)
        if len(olds) == 1:
            return PROVINCE_SAME.format(old=old.title, new=new.title)
        names = [p.title for p in olds]
        parts = ", ".join(names[:-1]) + f" và {names[-1]} cũ"
        template = PROVINCE_GREW if old.name == new.name else PROVINCE_MERGED
        return template.format(old=old.title, new=new.title, parts=parts)

    def _same_name(self, found: AddressResult, kb: KnowledgeBase) -> Reply:
        subject = found.subjects[0]
        same = len({u.name for u in found.subjects}) == 1
        if found.total > MAX_CHOICES:
            text = (
                SAME_NAME_MANY.format(
                    count=found.total, name=subject.name, kind=subject.kind.lower()
                )
                if same
                else NEAR_MANY
            )
            return self._reply(text, Outcome.AMBIGUOUS, kb)
        choices = tuple(Choice(_label(u), _choice_action(u)) for u in found.subjects)
        text = SAME_NAME.format(count=found.total, name=subject.name) if same else NEAR_NAMES
        return self._reply(text, Outcome.AMBIGUOUS, kb, choices)

    def _not_found(self, found: AddressResult, kb: KnowledgeBase) -> Reply:
        what = f"“{found.unmatched}”" if found.unmatched else "địa chỉ này"
        text = f"{NOT_FOUND.format(what=what)}\n\n{HOW_TO}"
        return self._reply(text, Outcome.NO_MATCH, kb)

    def _reply(
        self,
        text: str,
        outcome: Outcome,
        kb: KnowledgeBase,
        choices: tuple[Choice, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Reply:
        entry = kb.get(ADDRESS_FAQ_ID)
        faq_id = entry.id if entry is not None and entry.status == "published" else None
        answered = outcome is Outcome.ANSWERED
        body = "\n\n".join((text, *notes, self.data_note) if answered else (text, *notes))
        return Reply(
            body,
            outcome,
            choices=choices,
            faq_id=faq_id,
            confidence=1.0 if answered else 0.0,
            candidates=(Candidate(faq_id, 1.0),) if faq_id and answered else (),
            ask_feedback=answered and faq_id is not None,
        )


def _has_cue(text: str) -> bool:
    cleaned = clean(text, 1000)
    return bool(_CUE_RE.search(fold(cleaned)) or _OLD_RE.search(cleaned))


def _old_place(found: Resolution) -> str:
    units: list[AnyUnit | None] = [found.old_ward, found.old_district, found.old_province]
    return ", ".join(u.title for u in units if u is not None)


def _new_place(found: Resolution) -> str:
    if found.ward is None:
        return found.province.title
    return f"{found.ward.title}, {found.province.title}"


def _label(unit: AnyUnit) -> str:
    if isinstance(unit, OldWard):
        return f"{unit.title}, {unit.district.title}, {unit.province.title}"
    if isinstance(unit, OldDistrict):
        return f"{unit.title}, {unit.province.title}"
    if isinstance(unit, Ward):
        return f"{unit.title}, {unit.province.title} (tên mới)"
    return unit.title


def _choice_action(unit: AnyUnit) -> str:
    return action(VERB, _LEVEL_LETTERS[unit.level], unit.code)


def _centre(profile: ProvinceProfile, ward: Ward) -> str:
    centre = profile.centre(ward.code)
    if centre is None:
        return NO_CENTRE.format(ward=ward.title)
    details = "; ".join(
        part
        for part in (
            centre.centre,
            centre.address,
            f"giờ làm việc: {centre.hours}" if centre.hours else "",
            f"điện thoại: {centre.phone}" if centre.phone else "",
        )
        if part
    )
    return CENTRE.format(ward=ward.title, details=details)


def _after_merger(kb: KnowledgeBase) -> tuple[Choice, ...]:
    entry = kb.get(AFTER_MERGER_FAQ_ID)
    if entry is None or entry.status != "published":
        return ()
    return (Choice(entry.question, action("faq", entry.id)),)
