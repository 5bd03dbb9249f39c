"""The knowledge editor: try questions before saving, versions, publish, history and revert."""

from __future__ import annotations

import html
import re

from bot.console.trial import run_trial
from bot.console.web.entry_form import fields_of
from bot.core.knowledge import FaqEntry
from bot.core.messages import Outcome
from tests.console.conftest import ConsoleEnv, StaffClient

NEW_WORDING = "thủ tục xin giấy phép nuôi chim yến trong nhà phố"


async def _form(staff: StaffClient, faq_id: str) -> dict[str, str]:
    page = await staff.get(f"/staff/knowledge/{faq_id}")
    assert page.status == 200
    version = re.search(r'name="version" value="(\d+)"', page.text)
    assert version
    return {"version": version.group(1)}


async def _fields(env: ConsoleEnv, faq_id: str) -> dict[str, str]:
    entry = await env.storage.knowledge.get(faq_id)
    assert entry is not None
    return fields_of(entry)


async def test_the_trial_panel_shows_the_unsaved_change_before_saving(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    fields = await _fields(env, "account.register")
    base = {**fields, "tests": NEW_WORDING}
    before = await staff.post("/staff/knowledge/trial", base)
    assert before.status == 200 and 'class="changed"' not in before.text
    edited = {**base, "alternates": fields["alternates"] + "\n" + NEW_WORDING}
    after = await staff.post("/staff/knowledge/trial", edited)
    assert 'class="changed"' in after.text
    question = html.escape((await env.storage.knowledge.get("account.register")).question)  # type: ignore[union-attr]
    row = after.text.split('class="changed"', 1)[1]
    assert "Trả lời" in row and question in row
    # Nothing was saved, and citizens still get the old answer.
    entry = await env.storage.knowledge.get("account.register")
    assert entry is not None and NEW_WORDING not in entry.alternates
    assert (await env.ask(NEW_WORDING)).faq_id != "account.register"


async def test_trial_is_exact_for_the_live_side(env: ConsoleEnv) -> None:
    snapshot = env.runtime.live.current
    entry = snapshot.kb.get("account.register")
    assert entry is not None
    rows = run_trial(
        snapshot, env.runtime.normalizer, env.runtime.thresholds, entry, [entry.question]
    )
    live = snapshot.matcher.match(entry.question)
    assert (
        rows[0].before.status == live.status and rows[0].before.faq_id == live.candidates[0].faq_id
    )
    assert not rows[0].changed


async def test_saving_publishes_to_citizens_and_is_audited(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    version = (await _form(staff, "account.register"))["version"]
    fields = await _fields(env, "account.register")
    fields["alternates"] += "\n" + NEW_WORDING
    page = await staff.post(
        "/staff/knowledge/account.register", {**fields, "version": version, "action": "save"}
    )
    assert page.status == 200 and "Đã lưu" in page.text
    assert (await env.ask(NEW_WORDING)).faq_id == "account.register"
    history = await staff.get("/staff/knowledge/account.register/history")
    assert "web:lan" in history.text and f"<ins>{html.escape(NEW_WORDING)}</ins>" in history.text


async def test_the_second_of_two_concurrent_saves_is_refused_and_shows_the_first(
    env: ConsoleEnv,
) -> None:
    first, second = await env.staff("lan", "editor"), await env.staff("minh", "editor")
    version = (await _form(first, "account.register"))["version"]
    assert (await _form(second, "account.register"))["version"] == version
    fields = await _fields(env, "account.register")
    mine = {**fields, "answer": fields["answer"] + "\n\nGhi chú của Lan.", "version": version}
    theirs = {**fields, "answer": fields["answer"] + "\n\nGhi chú của Minh.", "version": version}
    assert (await first.post("/staff/knowledge/account.register", mine)).status == 200
    refused = await second.post("/staff/knowledge/account.register", theirs)
    assert refused.status == 409
    assert "web:lan đã lưu mục này" in refused.text
    assert "<del>Ghi chú của Lan.</del>" in refused.text
    assert "<ins>Ghi chú của Minh.</ins>" in refused.text
    # Minh's text is still in the form; Lan's save stands.
    assert "Ghi chú của Minh." in refused.text.split('id="f-answer"', 1)[1]
    stored = await env.storage.knowledge.get("account.register")
    assert stored is not None and stored.answer.endswith("Ghi chú của Lan.")
    # Saving again, knowingly, with the version shown in the conflict, goes through.
    new_version = re.search(r'name="version" value="(\d+)"', refused.text)
    assert new_version and new_version.group(1) != version
    again = await second.post(
        "/staff/knowledge/account.register", {**theirs, "version": new_version.group(1)}
    )
    assert again.status == 200


async def test_markup_and_formulas_in_fields_are_kept_as_text(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    probe = '<script>alert(1)</script> =HYPERLINK("http://x") "quoted"'
    page = await staff.post(
        "/staff/knowledge/new",
        {
            "id": "help.probe_markup",
            "category": "help",
            "question": probe,
            "alternates": "\n".join(f"{probe} {n}" for n in range(6)),
            "answer": probe,
            "source": probe,
            "status": "draft",
            "action": "save",
        },
    )
    assert page.status == 200 and "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    entry = await env.storage.knowledge.get("help.probe_markup")
    assert entry is not None and entry.question == probe
    exported = await staff.get("/staff/knowledge/export?format=csv")
    assert "'=HYPERLINK" not in exported.text  # a formula only at the start of a cell matters
    assert "'<script>" not in exported.text
    listing = await staff.get("/staff/knowledge?q=hyperlink")
    assert "help.probe_markup" in listing.text and "<script>alert" not in listing.text


async def test_invalid_input_keeps_what_was_typed_and_says_what_to_fix(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    page = await staff.post(
        "/staff/knowledge/new",
        {
            "id": "Sai Mã",
            "category": "help",
            "question": "Câu hỏi thử?",
            "answer": "",
            "action": "save",
        },
    )
    assert page.status == 422
    assert "Câu trả lời: bắt buộc" in page.text and "Mã: dạng nhóm.chủ_đề" in page.text
    assert 'value="Câu hỏi thử?"' in page.text


async def test_few_alternates_save_with_a_warning_saying_how_many_more(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    page = await staff.post(
        "/staff/knowledge/new",
        {
            "id": "help.giay_phep_nuoi_yen",
            "category": "help",
            "question": "Xin giấy phép nuôi chim yến ở đâu?",
            "alternates": "nuôi yến cần giấy phép gì\nđăng ký nuôi chim yến",
            "answer": "Liên hệ UBND cấp xã nơi đặt nhà yến.",
            "action": "publish",
        },
    )
    assert page.status == 200 and "Đã xuất bản" in page.text
    assert "mới có 2 cách hỏi khác; thêm 4 cách nữa" in page.text
    assert (await env.ask("đăng ký nuôi chim yến")).faq_id == "help.giay_phep_nuoi_yen"


async def test_draft_then_publish_then_revert(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "editor")
    fields = {
        "id": "help.lich_tiep_dan",
        "category": "help",
        "question": "Lịch tiếp công dân của phường?",
        "alternates": "\n".join(f"lịch tiếp dân cách hỏi {n}" for n in range(6)),
        "answer": "Sáng thứ Năm hằng tuần.",
        "status": "draft",
        "action": "save",
    }
    assert (await staff.post("/staff/knowledge/new", fields)).status == 200
    assert (await env.ask("lịch tiếp dân cách hỏi 3")).faq_id != "help.lich_tiep_dan"
    version = (await _form(staff, "help.lich_tiep_dan"))["version"]
    published = await staff.post(
        "/staff/knowledge/help.lich_tiep_dan", {**fields, "version": version, "action": "publish"}
    )
    assert "Đã xuất bản" in published.text
    reply = await env.ask("lịch tiếp dân cách hỏi 3")
    assert reply.outcome == Outcome.ANSWERED and reply.faq_id == "help.lich_tiep_dan"
    history = await staff.get("/staff/knowledge/help.lich_tiep_dan/history")
    audit_ids = re.findall(r'name="audit_id" value="(\d+)"', history.text)
    assert audit_ids  # the creation can be restored
    version = (await _form(staff, "help.lich_tiep_dan"))["version"]
    reverted = await staff.post(
        "/staff/knowledge/help.lich_tiep_dan/revert",
        {"audit_id": audit_ids[-1], "version": version},
    )
    assert "Đã khôi phục" in reverted.text
    entry = await env.storage.knowledge.get("help.lich_tiep_dan")
    assert entry is not None and entry.status == "draft"
    assert (await env.ask("lịch tiếp dân cách hỏi 3")).faq_id != "help.lich_tiep_dan"


async def test_list_filters_search_without_accents_and_flags_stale(env: ConsoleEnv) -> None:
    staff = await env.staff("lan", "viewer")
    entry = await env.storage.knowledge.get("account.register")
    assert isinstance(entry, FaqEntry)
    words = entry.question.split()[:2]
    from bot.storage.textkey import fold_key

    page = await staff.get(f"/staff/knowledge?q={fold_key(' '.join(words))}")
    assert "account.register" in page.text
    assert (await staff.get("/staff/knowledge?status=draft")).text.count("badge published") == 0
    stale = await staff.get("/staff/knowledge?stale=1")
    assert stale.status == 200
