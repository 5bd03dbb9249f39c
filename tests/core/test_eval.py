"""evaluate(), sweep() and the ``eval`` command on a small handmade knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.admin.cli import main
from bot.config import PROJECT_ROOT
from bot.core.evaluation import EvalRow, evaluate, parse_row, read_rows, sweep
from bot.core.knowledge import Category, KnowledgeBase
from bot.core.lexicon import Lexicon
from bot.core.match import Matcher, Thresholds
from bot.core.normalize import Normalizer
from tests.core.test_match import ENTRIES, THRESHOLDS

ROWS = [
    EvalRow("quên mật khẩu vneid", "account.forgot_password", "polite"),
    EvalRow("lam ho chieu online", "proc.passport", "nodiacritics"),
    EvalRow("giấy tờ hết hạn cần đổi", "proc.passport", "keywords"),  # ambiguous, offered
    EvalRow("quên mật khẩu vneid", "help.hotline", "typo"),  # answered, but wrongly
    EvalRow("giá vàng hôm nay bao nhiêu", None, "oos"),
    EvalRow("quên mk vneid", None, "oos"),  # out of scope by label, answered anyway
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    categories = [Category("account", "A"), Category("proc", "P"), Category("help", "H")]
    kb = KnowledgeBase.build(categories, ENTRIES)
    lexicon = Lexicon.load(PROJECT_ROOT / "knowledge" / "lexicon.yaml")
    return Matcher.build(kb, Normalizer(lexicon), THRESHOLDS)


def test_evaluate_counts(matcher: Matcher) -> None:
    # The ambiguous row expects the entry offered second: helped, but not top-1.
    offered = matcher.match(ROWS[2].text)
    assert offered.status == "ambiguous"
    rows = [*ROWS[:2], EvalRow(ROWS[2].text, offered.candidates[1].faq_id, "keywords"), *ROWS[3:]]
    report = evaluate(matcher, rows)
    total = report.total
    assert (total.rows, total.in_scope, total.out_of_scope) == (6, 4, 2)
    assert total.top1 == 2  # the ambiguous and the mislabelled rows rank another entry first
    assert total.answered_right == 2
    assert total.helped == 3  # two answers and one offered choice
    assert total.rejected == 1
    assert total.confidently_wrong == 2  # a wrong id, and an answer to an OOS question
    assert total.wrong_rate == pytest.approx(2 / 6)
    assert total.rejection_rate == pytest.approx(0.5)
    assert set(report.by_category) == {"account", "proc", "help", "oos"}
    assert report.by_style["oos"].out_of_scope == 2
    assert len(report.failures) == 3


def test_evaluate_accepts_plain_dicts(matcher: Matcher) -> None:
    report = evaluate(matcher, [{"text": "lam ho chieu online", "expect": "proc.passport"}])
    assert report.total.answered_right == 1


def test_sweep_reuses_scores_and_orders_outcomes(matcher: Matcher) -> None:
    points = sweep(matcher, ROWS, answers=(0.5, 0.99), suggests=(0.1, 0.6, 0.9))
    # A suggest threshold above the answer threshold makes no sense and is skipped.
    assert [(p.thresholds.answer, p.thresholds.suggest) for p in points] == [
        (0.5, 0.1),
        (0.99, 0.1),
        (0.99, 0.6),
        (0.99, 0.9),
    ]
    strict, loose = points[-1].tally, points[0].tally
    assert strict.confidently_wrong <= loose.confidently_wrong
    assert strict.rejected >= loose.rejected


def test_read_rows(tmp_path: Path) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_text(
        '{"text": "a", "expect": "x.y", "style": "polite"}\n\n{"text": "b", "expect": null}\n',
        encoding="utf-8",
    )
    assert read_rows(path) == [EvalRow("a", "x.y", "polite"), EvalRow("b", None, "")]
    path.write_text('{"text": "a"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ValueError, match=":2:"):
        read_rows(path)
    with pytest.raises(ValueError, match="expect"):
        parse_row({"text": "a", "expect": 3})


def test_eval_command_prints_figures_and_sweep(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    kb_dir = tmp_path / "kb"
    (kb_dir / "faq").mkdir(parents=True)
    (kb_dir / "categories.yaml").write_text(
        "categories:\n  - {id: account, title: A}\n  - {id: proc, title: P}\n"
        "  - {id: help, title: H}\n",
        encoding="utf-8",
    )
    entries = [e.to_dict() for e in ENTRIES]
    import yaml

    (kb_dir / "faq" / "all.yaml").write_text(
        yaml.safe_dump({"entries": entries}, allow_unicode=True), encoding="utf-8"
    )
    rows = tmp_path / "rows.jsonl"
    rows.write_text(
        "\n".join(
            json.dumps({"text": r.text, "expect": r.expect, "style": r.style}, ensure_ascii=False)
            for r in ROWS
        ),
        encoding="utf-8",
    )
    code = main(["eval", str(rows), "--kb", str(kb_dir / "faq"), "--failures", "2"])
    out = capsys.readouterr().out
    assert code == 0
    for needle in ("top-1", "answered right", "helped", "did-you-mean", "confidently wrong"):
        assert needle in out
    assert "previous" in out and "BM25" in out  # the baselines' columns
    assert "reliability" in out
    assert "threshold sweep" in out and "← current" in out
    assert "polite" in out  # per style
    assert "first 2 failures" in out


def test_eval_command_reports_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(tmp_path / "missing.jsonl")]) == 1
    assert "eval file" in capsys.readouterr().err


def test_thresholds_are_plain_values() -> None:
    assert Thresholds(0.5, 0.2, 0.1).answer == 0.5
