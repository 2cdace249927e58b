"""CRM-4: what the knowledge base indexes and how a query is matched, for Chinese and English.

Chinese has no spaces, so a word-based `to_tsvector` would see a whole sentence as one "word".
We index n-grams ourselves (the way pg_bigm does): every run of Han/kana characters gives its
single characters and its overlapping pairs; every other run of letters/digits gives the
lowercased word. The tokens go into a `tsvector` ('simple' configuration, no stemming) with a
GIN index. A query term is matched as:

- Han/kana: its pairs, all of them (a single character: itself); "退款" is one pair, so a
  two-character word, the commonest Chinese query, is one index lookup;
- a word: itself as a prefix (`refund:*` finds "refunds");

and every whole term must also be a substring of the article's lowercased text (`LIKE`), so
"物流查询" does not match an article with "物流" in one place and "查询" in another.

Measured on 50,000 articles of 400 characters (Postgres 15, 2 shared cores): `ILIKE` alone
scans everything, ~250-280 ms per query; a pg_trgm GIN index answers 3+ character terms in
~1 ms but cannot index a 2-character Chinese word (no trigram) and still scans (~276 ms);
this index answers "退款" in 0.6 ms (first 20) / 4.4 ms (all 288 matches) and is a fifth of
the trigram index's size (115 MB vs 536 MB).

Under forced RLS Postgres uses no index for `@@` or LIKE (not leakproof): through the app's
query, 20,000 articles of one tenant took ~290 ms per search. The index is therefore read by
`kb_article_search()` (migration 0016, SECURITY DEFINER, the caller's tenant only); the same
searches then take 6-24 ms (count + first page, on the shared 2-core box), and a single Chinese
character found in 15,000 of the 20,000 articles ~790 ms.
"""

from __future__ import annotations

import re

# Han (CJK unified ideographs, extension A, compatibility), hiragana, katakana.
IDEOGRAPHIC = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"([{IDEOGRAPHIC}]+)|([^\W_{IDEOGRAPHIC}]+)")
MAX_TERMS = 8
MAX_TERM_CHARS = 50


def _runs(text: str) -> list[tuple[str, bool]]:
    """(run, is_ideographic) for each run of indexable characters, lowercased."""
    return [(m.group(1) or m.group(2).lower(), bool(m.group(1))) for m in _RUN.finditer(text)]


def index_tokens(*texts: str) -> str:
    """The space-separated tokens of an article (what `to_tsvector('simple', ...)` gets)."""
    tokens: set[str] = set()
    for text in texts:
        for run, ideographic in _runs(text):
            if ideographic:
                tokens.update(run)
                tokens.update(run[i : i + 2] for i in range(len(run) - 1))
            else:
                tokens.add(run[:100])  # tsvector words are capped at 2 kB; nobody types more
    return " ".join(sorted(tokens))


def query_terms(query: str) -> list[str]:
    """The user's terms: split on white space, lowercased, duplicates dropped, at most 8."""
    seen: list[str] = []
    for term in query.lower().split():
        term = term[:MAX_TERM_CHARS]
        if term not in seen and _runs(term):
            seen.append(term)
    return seen[:MAX_TERMS]


def _lexeme(token: str) -> str:
    # Tokens are letters and digits only; quoting still keeps to_tsquery's syntax out.
    return "'" + token.replace("'", "''").replace("\\", "\\\\") + "'"


def term_tsquery(term: str) -> str:
    """A `to_tsquery('simple', ...)` text that every article containing `term` matches."""
    parts: list[str] = []
    for run, ideographic in _runs(term):
        if ideographic:
            grams = [run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)]
            parts.extend(_lexeme(g) for g in dict.fromkeys(grams))
        else:
            parts.append(_lexeme(run[:100]) + ":*")
    return " & ".join(parts)


def like_pattern(term: str) -> str:
    """`%term%` for LIKE with escape character backslash."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_text(*texts: str) -> str:
    """The lowercased text LIKE re-checks whole terms against."""
    return "\n".join(t for t in texts if t).lower()


def excerpt(body: str, terms: list[str], width: int = 160) -> str:
    """A piece of the body around the first term found (the start when none is)."""
    lowered = body.lower()
    at = min((i for i in (lowered.find(t) for t in terms) if i >= 0), default=-1)
    start = max(0, at - width // 4) if at >= 0 else 0
    piece = body[start : start + width].replace("\n", " ").strip()
    return ("…" if start > 0 else "") + piece + ("…" if start + width < len(body) else "")
