"""Score the rule-based pledge extractor against the hand-labelled seed documents.

Run from the project root:

    .venv/bin/python bench/eval_extraction.py [--verbose]

For every document in ../shared/seeds/docs it runs ``extract(text, year)`` and
compares the drafts with ../shared/seeds/gold/<slug>.jsonl.  A draft matches a
gold item when value, comparator, unit and kind are equal (values compared as
numbers) and the two sentences overlap in the document; matching is one-to-one,
greedy, in document order.  Prints precision, recall and F1 per document and
overall, deadline and owner accuracy over the matched pairs, and the throughput
on a text of at least 5 MB.  The exit code is always 0: this is a report.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from commitments.extraction import Draft, extract  # noqa: E402

SEEDS = PROJECT_ROOT.parent / "shared" / "seeds"
THROUGHPUT_BYTES = 5 * 1024 * 1024


def load_gold(path: Path, text: str) -> list[dict]:
    """Gold items with the character span of their sentence in the document."""
    items = []
    search_from: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        sentence = item["sentence"]
        # Several items may share a sentence; a repeated sentence is looked up after the previous one.
        start = text.find(sentence, search_from.get(sentence, 0))
        if start < 0:
            start = text.find(sentence)
        item["start"] = start
        item["end"] = start + len(sentence)
        items.append(item)
    items.sort(key=lambda item: item["start"])
    return items


def _same_number(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return Decimal(str(a)) == Decimal(str(b))


def is_match(draft: Draft, gold: dict) -> bool:
    overlaps = draft.start < gold["end"] and gold["start"] < draft.start + len(draft.sentence)
    return (
        overlaps
        and draft.comparator == gold["comparator"]
        and draft.unit == gold["unit"]
        and draft.kind == gold["kind"]
        and _same_number(draft.value, gold["value"])
    )


def match(drafts: list[Draft], gold: list[dict]) -> list[tuple[Draft, dict]]:
    """Greedy one-to-one matching, drafts taken in document order."""
    used: set[int] = set()
    pairs = []
    for draft in sorted(drafts, key=lambda d: d.start):
        for i, item in enumerate(gold):
            if i not in used and is_match(draft, item):
                used.add(i)
                pairs.append((draft, item))
                break
    return pairs


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 0.0


def _scores(n_drafts: int, n_gold: int, pairs: list[tuple[Draft, dict]]) -> dict:
    precision = _ratio(len(pairs), n_drafts)
    recall = _ratio(len(pairs), n_gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    deadline_ok = sum(1 for d, g in pairs if (d.deadline.isoformat() if d.deadline else None) == g.get("deadline"))
    owner_ok = sum(1 for d, g in pairs if d.owner == g.get("owner"))
    return {
        "drafts": n_drafts,
        "gold": n_gold,
        "matched": len(pairs),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "deadline_accuracy": _ratio(deadline_ok, len(pairs)),
        "owner_accuracy": _ratio(owner_ok, len(pairs)),
    }


def measure_throughput(texts: list[tuple[str, int]], target_bytes: int = THROUGHPUT_BYTES) -> float:
    """MB/s of extract() on the documents repeated to at least target_bytes."""
    if not texts:
        return 0.0
    one_round = "\n\n".join(text for text, _ in texts)
    repeats = max(1, -(-target_bytes // max(1, len(one_round.encode("utf-8")))))
    big = "\n\n".join([one_round] * repeats)
    size = len(big.encode("utf-8"))
    started = time.perf_counter()
    extract(big, texts[0][1])
    elapsed = time.perf_counter() - started
    return size / (1024 * 1024) / elapsed if elapsed else float("inf")


def evaluate(docs_dir, gold_dir, meta_path, throughput_bytes: int = THROUGHPUT_BYTES) -> dict:
    """Scores per document and overall; misses and false positives for --verbose."""
    docs_dir, gold_dir = Path(docs_dir), Path(gold_dir)
    meta = json.loads(Path(meta_path).read_text(encoding="utf-8"))
    documents = {}
    all_pairs: list = []
    total_drafts = total_gold = 0
    texts = []
    for doc_path in sorted(docs_dir.glob("*.txt")):
        slug = doc_path.stem
        text = doc_path.read_text(encoding="utf-8")
        year = meta[slug]["year"]
        texts.append((text, year))
        gold_path = gold_dir / f"{slug}.jsonl"
        gold = load_gold(gold_path, text) if gold_path.exists() else []
        drafts = extract(text, year)
        pairs = match(drafts, gold)
        matched_drafts = {id(d) for d, _ in pairs}
        matched_gold = {id(g) for _, g in pairs}
        scores = _scores(len(drafts), len(gold), pairs)
        scores["misses"] = [g for g in gold if id(g) not in matched_gold]
        scores["false_positives"] = [d for d in drafts if id(d) not in matched_drafts]
        scores["wrong_fields"] = [
            (d, g) for d, g in pairs
            if d.owner != g.get("owner") or (d.deadline.isoformat() if d.deadline else None) != g.get("deadline")
        ]
        documents[slug] = scores
        all_pairs.extend(pairs)
        total_drafts += len(drafts)
        total_gold += len(gold)
    overall = _scores(total_drafts, total_gold, all_pairs)
    overall["throughput_mb_s"] = measure_throughput(texts, throughput_bytes) if throughput_bytes else None
    return {"documents": documents, "overall": overall}


def _row(name: str, s: dict) -> str:
    return (
        f"{name:<24} {s['drafts']:>6} {s['gold']:>5} {s['matched']:>7} {s['precision']:>6.2f} {s['recall']:>6.2f} "
        f"{s['f1']:>6.2f} {s['deadline_accuracy']:>9.2f} {s['owner_accuracy']:>6.2f}"
    )


def _describe_draft(d: Draft) -> str:
    value = f"{d.low}-{d.high}" if d.comparator == "range" else d.value
    return (
        f"@{d.start} {d.sentence!r} | {d.metric} {d.comparator} {value} {d.unit} {d.kind} "
        f"{d.deadline} {d.owner}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list misses and false positives")
    parser.add_argument("--seeds", default=str(SEEDS), help="seed directory (docs/, gold/, meta.json)")
    args = parser.parse_args(argv)
    seeds = Path(args.seeds)
    result = evaluate(seeds / "docs", seeds / "gold", seeds / "meta.json")

    print(f"{'document':<24} {'drafts':>6} {'gold':>5} {'matched':>7} {'prec':>6} {'recall':>6} {'F1':>6} "
          f"{'deadline':>9} {'owner':>6}")
    for slug, scores in result["documents"].items():
        print(_row(slug, scores))
    print(_row("overall", result["overall"]))
    print(f"throughput: {result['overall']['throughput_mb_s']:.2f} MB/s (text of >= {THROUGHPUT_BYTES // 2**20} MB)")

    if args.verbose:
        for slug, scores in result["documents"].items():
            print(f"\n== {slug}")
            for gold in scores["misses"]:
                wanted = f"{gold['comparator']} {gold['value']} {gold['unit']} {gold['kind']}"
                print(f"  MISS {gold['sentence']!r} | {wanted}")
            for draft in scores["false_positives"]:
                print(f"  FP   {_describe_draft(draft)}")
            for draft, gold in scores["wrong_fields"]:
                expected = f"gold deadline {gold.get('deadline')}, owner {gold.get('owner')}"
                print(f"  FIELD {_describe_draft(draft)}  ({expected})")
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
