"""Vietnamese text → canonical matching key (facts in shared/VIETNAMESE_TEXT.md).

FAQ phrasings and citizen queries go through the same pipeline: clean Unicode, lowercase,
re-place tones, repair Telex/VNI leftovers, standardize regional spellings, expand
abbreviations and synonyms (domain meaning first), drop fillers, then fold diacritics into
the key. The accented form is kept for ties.
Every per-word step is cached, so a running bot normalizes a question in microseconds.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from operator import itemgetter

from bot.core.lexicon import Lexicon
from bot.core.phrases import PhraseTable, Tok
from bot.core.telex import MAX_REPAIR_LEN, decode_syllable, split_merged
from bot.core.tones import add_tone, fold, is_valid_syllable, place_tone, strip_tone

__all__ = ["Lexicon", "Normalized", "Normalizer", "fold"]

DEFAULT_MAX_CHARS = 1000
_CACHE_LIMIT = 200_000
_MAX_PASSES = 4

# Look-alikes NFKC leaves alone: Icelandic eth and African D with stroke render like "Đ".
_LOOKALIKES = str.maketrans({"Ð": "Đ", "ð": "đ", "Ɖ": "Đ", "ɖ": "đ"})
# Every format character (Unicode 14 category Cf: soft hyphen, zero-width space and joiners,
# BOM, bidi marks, tags). They are invisible, so they are deleted rather than turned into a
# space: "đăng\u00adký" is one word. tests/core/test_normalize.py checks the list is complete.
INVISIBLE_RE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U00013438\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f]"
)
_TOKEN_RE = re.compile(r"[^\W_]+")
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+")
_RUNS_RE = re.compile(r"[a-z]+|[0-9]+")
_I_Y_RE = re.compile(r"^([bcdghklmnprstvx]+)y$")
_KEY = itemgetter(1)


@dataclass(frozen=True, slots=True)
class Normalized:
    """One text in matching form."""

    accented: str  # cleaned, tone-normalized, expanded, fillers dropped; diacritics kept
    key: str  # folded canonical key: tokens separated by single spaces
    tokens: tuple[str, ...]  # the key's tokens
    # Accented form of each key token (same length as tokens), or () when unknown.
    accents: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.tokens


def clean(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """Unicode clean-up before tokenizing: NFKC, look-alikes, invisible characters, case.

    Control characters and spaces need no work: tokens are runs of letters and digits.
    """
    text = text[:max_chars]
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text)[:max_chars]
    # translate() and the long character class are slow on any non-ASCII text, and most
    # texts hold neither: look first (invisible characters are never printable).
    if "Ð" in text or "ð" in text or "Ɖ" in text or "ɖ" in text:
        text = text.translate(_LOOKALIKES)
    if not text.isprintable():
        text = INVISIBLE_RE.sub("", text)
    text = text.lower()
    # Lowercasing can produce combining sequences (İ → i̇); recompose them.
    return unicodedata.normalize("NFC", text)


def canonical_token(token: str) -> str:
    """Tone re-placed form of a single syllable; anything else unchanged."""
    return place_tone(token) if is_valid_syllable(fold(token)) else token


def accent_token(token: str) -> str:
    """Accented token spelled like its key (kí for ký) so accents can be compared."""
    if _I_Y_RE.match(fold(token)) is None:
        return token
    plain, tone = strip_tone(token)
    return add_tone(plain[:-1] + "i", tone)


def key_token(token: str) -> str:
    """Fold one accented token into its key form (đ→d, consonant + final y → i)."""
    folded = fold(token)
    match = _I_Y_RE.match(folded)
    return match.group(1) + "i" if match else folded


def _undouble(token: str) -> str:
    """Letters repeated with or without marks, once ("lâuu" → "lâu", "cảa" → "cả")."""
    kept: list[str] = []
    for char in token:
        if not kept or fold(char) != fold(kept[-1]):
            kept.append(char)
    return "".join(kept)


class Normalizer:
    """Turns any text into a :class:`Normalized`; never raises.

    ``content_words`` are key-form words the knowledge base needs. Once they are known, a
    single filler typed without diacritics (nha, vay, thi) is dropped unless it folds onto
    one of them (nhà, vay, thi); without them only exactly typed fillers are dropped.
    """

    def __init__(
        self,
        lexicon: Lexicon,
        *,
        content_words: Iterable[str] | None = None,
        content_pairs: Collection[str] = frozenset(),
        max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        self.lexicon = lexicon
        self.max_chars = max_chars
        self.content_words = None if content_words is None else frozenset(content_words)
        self.content_pairs = content_pairs
        self._known = lexicon.known_words()
        self._toks: dict[str, Tok] = {}
        self._tokens: dict[str, tuple[Tok, ...]] = {}
        canonical, make_tok = canonical_token, self._tok
        self._dialect = PhraseTable(lexicon.dialect, canonical, make_tok)
        self._abbreviations = PhraseTable(lexicon.abbreviations, canonical, make_tok)
        self._synonyms = PhraseTable(lexicon.synonyms, canonical, make_tok)
        self._fillers = PhraseTable(
            dict.fromkeys(lexicon.fillers, ()), canonical, make_tok, plain_words_by_rule=True
        )
        # Applied in this order, fillers last (dropped by their own rule).
        self._replacing = (self._dialect, self._abbreviations, self._synonyms)

    def with_content_words(
        self, words: Iterable[str], pairs: Collection[str] | None = None
    ) -> Normalizer:
        """A normalizer over the same lexicon that knows a knowledge base's vocabulary:
        folded words, and key pairs ("ho_so") that help cut glued words."""
        return Normalizer(
            self.lexicon,
            content_words=(self.content_words or frozenset()) | {key_token(w) for w in words},
            content_pairs=self.content_pairs if pairs is None else pairs,
            max_chars=self.max_chars,
        )

    def sharing_tables(
        self, *, words: frozenset[str] | None = None, pairs: Collection[str] | None = None
    ) -> Normalizer:
        """This normalizer with other content words (key form) or key pairs, in
        microseconds: the phrase tables do not depend on either and are shared; the cache of
        repaired tokens does, and is not."""
        clone = copy.copy(self)
        if words is not None:
            clone.content_words = words
        if pairs is not None:
            clone.content_pairs = pairs
        clone._tokens = {}
        return clone

    def normalize(self, text: str, max_chars: int | None = None) -> Normalized:
        """Normalize ``text`` (cut to ``max_chars``) into accented form and key."""
        limit = self.max_chars if max_chars is None else max_chars
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        cache = self._tokens
        toks: list[Tok] = []
        for raw in _TOKEN_RE.findall(clean(text, limit)):
            toks.extend(cache.get(raw) or self._token(raw))
        toks, changed = self._tables(toks)
        if not toks:
            return Normalized("", "", ())
        accented, first, accents = zip(*toks, strict=True)
        tokens = first
        # Accent-blind steps can match the folded key where the accented text did not (a
        # garbage word folding onto an abbreviation, a synonym formed by an expansion and its
        # neighbour). Re-running on the key until it is stable makes the key a fixed point:
        # normalizing a key never changes it. Nothing matched means nothing can.
        known = self._toks
        for _ in range(_MAX_PASSES if changed else 0):
            again_toks, changed = self._tables([known.get(k) or self._tok(k) for k in tokens])
            again = tuple([tok[1] for tok in again_toks])
            if again == tokens:
                break
            tokens = again
        return Normalized(
            " ".join(accented), " ".join(tokens), tokens, accents if tokens == first else ()
        )

    # ------------------------------------------------------------------ pipeline

    def _tables(self, toks: list[Tok]) -> tuple[list[Tok], bool]:
        # The key forms are read once and again only after a table replaced something.
        keys = list(map(_KEY, toks))
        changed = False
        for table in self._replacing:
            toks, replaced = table.apply(toks, None, keys)
            if replaced:
                keys = list(map(_KEY, toks))
                changed = True
        toks, dropped = self._fillers.apply(toks, self._loose_filler, keys)
        return toks, changed or dropped

    def _loose_filler(self, tok: Tok) -> bool:
        return self.content_words is not None and tok[1] not in self.content_words

    def _token(self, raw: str) -> tuple[Tok, ...]:
        toks = tuple(self._tok(piece) for piece in self._repair(raw))
        if len(self._tokens) >= _CACHE_LIMIT:
            self._tokens.clear()
        self._tokens[raw] = toks
        return toks

    def _tok(self, accented: str) -> Tok:
        tok = self._toks.get(accented)
        if tok is None:
            tok = (accented, key_token(accented), accent_token(accented))
            if len(self._toks) >= _CACHE_LIMIT:
                self._toks.clear()
            self._toks[accented] = tok
        return tok

    def _is_piece(self, folded: str) -> bool:
        # Short forms (ck, tk, mk) inside a glued word are more often syllable fragments.
        return len(folded) >= 4 and folded in self._known

    def _is_pair(self, first: str, second: str) -> bool:
        return f"{key_token(first)}_{key_token(second)}" in self.content_pairs

    def _is_common(self, folded: str) -> bool:
        return folded in self._known or (
            self.content_words is not None and folded in self.content_words
        )

    def _repair(self, token: str) -> tuple[str, ...]:
        """Tone re-placement for syllables; Telex/VNI and merged-word repair for the rest."""
        folded = fold(token)
        if is_valid_syllable(folded):
            return (place_tone(token),)
        if folded in self._known or len(folded) > MAX_REPAIR_LEN:
            return (token,)
        if not _ASCII_WORD_RE.fullmatch(folded):
            return (token,)
        # Drawn-out letters ("lâuu", "ạạ", "cảa") are emphasis, not another word; typed with
        # diacritics they are no Telex either ("ạạ" is not "â").
        single = _undouble(token)
        if not token.isascii() and single != token and is_valid_syllable(fold(single)):
            return (place_tone(single),)
        decoded = decode_syllable(folded)
        if decoded is not None:
            return (decoded,)
        if single != token and is_valid_syllable(fold(single)):
            return (place_tone(single),)
        if not folded.isalpha() and not folded.isdigit():
            # Not VNI after all: a word glued to a number ("mucdo4", "lv2"); split them.
            return tuple(
                piece
                for run in _RUNS_RE.findall(folded)
                for piece in (self._repair(run) if run.isalpha() else (run,))
            )
        spans = split_merged(folded, self._is_piece, self._is_common, self._is_pair)
        if spans is None:
            return (token,)
        # fold() maps letter to letter, so the accented original can be cut at the same places.
        source = token if len(token) == len(folded) else folded
        return tuple(decoded or place_tone(source[start:end]) for start, end, decoded in spans)
