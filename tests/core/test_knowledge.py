from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core.knowledge import (
    FIRST_PARAGRAPH_MAX,
    KnowledgeBase,
    KnowledgeError,
    first_paragraph,
    load_knowledge_dir,
)
from bot.core.provinces import fill_placeholders, load_province
from bot.runtime import load_address_book, load_profile
from tests.core.conftest import KNOWLEDGE

REQUIRED_IDS = [
    "account.register",
    "account.login_vneid",
    "account.forgot_password",
    "account.vneid_level2",
    "account.otp_not_received",
    "account.locked",
    "account.change_phone",
    "account.update_profile",
    "service.what_is_level4",
    "service.which_portal",
    "service.benefits",
    "apply.how_to_submit",
    "apply.find_procedure",
    "apply.attach_documents",
    "apply.digital_signature",
    "apply.supplement",
    "apply.withdraw",
    "apply.on_behalf",
    "apply.processing_time",
    "pay.how_to_pay",
    "pay.charged_not_updated",
    "pay.receipt",
    "pay.refund",
    "track.status",
    "track.receive_result",
    "track.electronic_result_valid",
    "track.feedback_complaint",
    "proc.birth_registration",
    "proc.death_registration",
    "proc.marital_status",
    "proc.permanent_residence",
    "proc.temporary_residence",
    "proc.judicial_record",
    "proc.driving_license",
    "proc.household_business",
    "proc.id_card",
    "proc.passport",
    "proc.health_insurance",
    "proc.certified_copy",
    "proc.land",
    "proc.construction_permit",
    "help.hotline",
    "help.in_person",
    "help.working_hours",
    "help.system_error",
    "skills.scam_warning",
    "skills.strong_password",
    "skills.install_vneid",
    "skills.qr_payment_safety",
    "bot.subscribe_tips",
    # Knowledge v2 (issue 10): the topics citizens asked about that the first 50 missed.
    "account.child_vneid",
    "account.integrate_documents",
    "account.new_phone",
    "account.wrong_personal_data",
    "account.lost_phone",
    "account.electronic_id_use",
    "account.sim_owner",
    "account.vneid_app_error",
    "apply.rejected",
    "apply.edit_after_submit",
    "apply.my_dossiers",
    "apply.wrong_agency",
    "apply.required_documents",
    "track.overdue",
    "track.notifications",
    "pay.fee_amount",
    "pay.payment_error",
    "service.after_merger",
    "proc.birth_certificate_copy",
    "proc.marriage_registration",
    "proc.civil_status_correction",
    "proc.residence_confirmation",
    "proc.temporary_absence",
    "proc.social_insurance_one_time",
    "proc.unemployment_benefit",
    "proc.maternity_benefit",
    "proc.pension",
    "proc.elderly_allowance",
    "proc.voluntary_social_insurance",
    "proc.disability_allowance",
    "proc.poor_household",
    "proc.vehicle_registration",
    "proc.traffic_fines",
    "proc.personal_tax_code",
    "proc.personal_income_tax",
    "proc.business_registration",
    "proc.land_tax",
    "proc.utility_bills",
    "proc.school_enrolment",
    "proc.military_service",
    "proc.health_certificate",
    "help.no_smartphone",
    "help.postal_service",
    "help.talk_to_staff",
    "help.address_lookup",
    "skills.scammed_what_now",
    "skills.bank_biometrics",
    "skills.protect_personal_data",
    "skills.deepfake_calls",
    "skills.helping_parents",
    "bot.privacy",
]


def test_every_required_topic_is_present(kb: KnowledgeBase) -> None:
    assert len(REQUIRED_IDS) == len(set(REQUIRED_IDS)) == 101
    missing = [faq_id for faq_id in REQUIRED_IDS if kb.get(faq_id) is None]
    assert missing == []


def test_entries_follow_the_content_rules(kb: KnowledgeBase) -> None:
    categories = {c.id for c in kb.categories}
    for entry in kb.entries:
        # The menu may group entries differently from their id prefix (proc.pension sits under
        # "social"); both must be categories.
        assert entry.category in categories, entry.id
        assert entry.id.split(".")[0] in categories, entry.id
        assert len(entry.alternates) >= 8, entry.id
        assert len(first_paragraph(entry.answer)) <= FIRST_PARAGRAPH_MAX, entry.id
        assert "\n1. " in entry.answer, f"{entry.id}: numbered steps expected"
        assert entry.source and entry.reviewed, entry.id
        assert entry.links, entry.id
        for text in (entry.question, entry.answer, *entry.alternates):
            assert unicodedata.is_normalized("NFC", text), entry.id
        assert len({a.casefold() for a in entry.alternates}) == len(entry.alternates), entry.id


def test_province_profiles_fill_every_placeholder(kb: KnowledgeBase) -> None:
    for name in ("default", "example"):
        settings = Settings(knowledge_dir=KNOWLEDGE, province=name, _env_file=None)  # type: ignore[call-arg]
        profile = load_profile(settings, load_address_book(settings))
        for entry in kb.entries:
            filled = fill_placeholders(entry.answer, profile)
            assert "{" not in filled, (name, entry.id)


def _write(tmp_path: Path, text: str) -> Path:
    root = tmp_path / "kb"
    (root / "faq").mkdir(parents=True)
    (root / "categories.yaml").write_text(
        "categories:\n  - id: account\n    title: Tài khoản\n", encoding="utf-8"
    )
    (root / "faq" / "account.yaml").write_text(text, encoding="utf-8")
    return root


GOOD = """entries:
  - id: account.one
    question: Câu hỏi một?
    alternates: [a1, a2, a3, a4, a5, a6]
    answer: |-
      Trả lời ngắn.

      1. Bước một.
"""


def test_a_small_valid_directory_loads(tmp_path: Path) -> None:
    kb = load_knowledge_dir(_write(tmp_path, GOOD))
    assert [e.id for e in kb.entries] == ["account.one"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            GOOD.replace("    answer: |-\n      Trả lời ngắn.\n\n      1. Bước một.\n", ""),
            ["account.yaml:2", "entry account.one", "field answer", "missing"],
        ),
        (
            GOOD.replace("[a1, a2, a3, a4, a5, a6]", "[a1]"),
            ["field alternates", "needs at least 6"],
        ),
        (GOOD.replace("Trả lời ngắn.", "Gọi {hotlin}."), ["unknown placeholder {hotlin}"]),
        (GOOD + "    related: [account.nope]\n", ["unknown related id 'account.nope'"]),
        (
            GOOD.replace("id: account.one", "id: tax.one\n    category: tax"),
            ["unknown category 'tax'"],
        ),
        (GOOD + GOOD.replace("entries:\n", ""), ["duplicate id"]),
        ("entries:\n  - id: [unclosed\n", ["account.yaml:", "invalid YAML"]),
        (GOOD.replace("Câu hỏi một?", "'x"), ["invalid YAML"]),
    ],
)
def test_errors_name_file_line_entry_and_field(
    tmp_path: Path, text: str, expected: list[str]
) -> None:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_dir(_write(tmp_path, text))
    message = str(info.value)
    for part in expected:
        assert part in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    bad = GOOD.replace("[a1, a2, a3, a4, a5, a6]", "[a1]") + (
        "  - id: account.two\n    question: Hai?\n    alternates: [b]\n"
    )
    with pytest.raises(KnowledgeError) as info:
        load_knowledge_dir(_write(tmp_path, bad))
    ids = {issue.entry_id for issue in info.value.issues}
    assert ids == {"account.one", "account.two"}


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    root = _write(tmp_path, GOOD)
    (root / "faq" / "account.yaml").write_bytes(GOOD.encode("utf-16"))
    with pytest.raises(KnowledgeError, match="not UTF-8"):
        load_knowledge_dir(root)


def test_a_province_portal_must_be_a_web_address(tmp_path: Path) -> None:
    text = (KNOWLEDGE / "provinces" / "default.yaml").read_text(encoding="utf-8")
    path = tmp_path / "bad.yaml"
    path.write_text(
        text.replace('"https://dichvucong.gov.vn"', '"javascript:alert(1)"'), encoding="utf-8"
    )
    with pytest.raises(KnowledgeError) as caught:
        load_province(path)
    [issue] = caught.value.issues
    assert issue.field == "portal_url" and "https://" in issue.message
