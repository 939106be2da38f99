"""Translation benchmarks, printed as JSON.

- memory: lookup latency (p50/p99, exact and fuzzy) with 100,000 stored segments, loaded from a SQLite
  database into the index the flows use, and the time that load takes;
- model: segments per second through the model path (placeholders, generation, validation) with a tiny
  random NLLB-format model built here;
- coverage: the share of the sentences of ../shared/data/bulletins that the memory plus the glossary cover
  after importing bench/data/tm_sample.tsv (no model).

    python bench/translate.py [--segments 100000] [--queries 1000] [--model-segments 64]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DATA = REPO.parent / "shared" / "data"
BULLETIN_DIRS = [
    DATA / "bulletins",
    *(REPO / "bench" / "data" / d for d in ("bulletins_train", "bulletins_heldout", "bulletins_test")),
]


def _sentences(dirs: list[Path]) -> list[str]:
    from nlp.sentences import split_sentences

    out = []
    for directory in dirs:
        for path in sorted(directory.glob("*.json")):
            out += split_sentences(json.loads(path.read_text(encoding="utf-8"))["body"])
    return out


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))] * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
    }


def _variant(sentence: str, pool: list[str], rng: random.Random, changes: int) -> str:
    words = sentence.split()
    for _ in range(changes):
        words[rng.randrange(len(words))] = rng.choice(pool)
    return " ".join(words)


def bench_memory(n: int, queries: int, seed: int = 7) -> dict:
    """Store ``n`` segments in SQLite, load them into the index, time exact and fuzzy lookups."""
    import nlp
    import storage
    from flows.translate import load_memory
    from storage.translation import key_hash

    rng = random.Random(seed)
    base = [s for s in _sentences(BULLETIN_DIRS) if len(s.split()) >= 6]
    pool = sorted({w.strip(".,;:!?()") for s in base for w in s.split() if w.isalpha()})
    sources = list(dict.fromkeys(_variant(rng.choice(base), pool, rng, 3) for _ in range(int(n * 1.1))))[:n]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        storage.upgrade_database(url)
        engine = storage.make_engine(url)
        started = time.perf_counter()
        rows = []
        for s in sources:
            entry = nlp.memory_entry(s, "ការបកប្រែ " + s[:20])
            rows.append({"target_language": "khm", "source_text": s, "target_text": entry.target_template,
                         "source_key": entry.key, "source_hash": key_hash(entry.key),
                         "target_template": entry.target_template, "origin": "import", "source_language": "vie",
                         "created_at": storage.utcnow(), "updated_at": storage.utcnow()})  # fmt: skip
        from sqlalchemy import insert

        with storage.session_scope(engine) as session:
            session.execute(insert(storage.TranslationMemoryEntry), rows)
        store_s = time.perf_counter() - started
        started = time.perf_counter()
        with storage.session_scope(engine) as session:
            memory = load_memory(session, "khm")
        load_s = time.perf_counter() - started
        engine.dispose()
    exact_q = rng.sample(sources, queries)
    fuzzy_q = [_variant(s, pool, rng, 1) for s in rng.sample(sources, queries)]
    miss_q = [_variant(rng.choice(base), pool, rng, 6) for _ in range(queries)]
    result = {
        "stored_segments": len(memory),
        "store_seconds": round(store_s, 2),
        "load_index_seconds": round(load_s, 2),
    }
    for name, batch in (("exact", exact_q), ("fuzzy", fuzzy_q), ("miss", miss_q)):
        times, hits, exact_hits = [], 0, 0
        for q in batch:
            t = time.perf_counter()
            found = memory.lookup(q, threshold=0.9)
            times.append(time.perf_counter() - t)
            hits += found is not None
            exact_hits += bool(found and found.exact)
        result[name] = _percentiles(times) | {"queries": len(batch), "hits": hits, "exact_hits": exact_hits}
    return result


def _tiny_nllb(directory: Path, texts: list[str]) -> Path:
    """The test suite's tiny random NLLB-format model, with a longer position table for bulletin sentences."""
    from tests.nlp.test_translate_model import build_tiny_nllb

    return build_tiny_nllb(directory, texts, vocab_size=500, max_positions=512)


def bench_model(segments: int) -> dict:
    """Segments per second through translate_segments with a tiny random NLLB model (all end with a translator)."""
    import nlp

    sentences = _sentences([DATA / "bulletins"])
    batch = (sentences * (segments // len(sentences) + 1))[:segments]
    with tempfile.TemporaryDirectory() as tmp:
        path = _tiny_nllb(Path(tmp) / "tiny-nllb", sentences)
        started = time.perf_counter()
        translator = nlp.load_translator(path)
        load_s = time.perf_counter() - started
        khm = nlp.get_language("khm")
        started = time.perf_counter()
        result = nlp.translate_segments(batch, khm, model=translator)
        elapsed = time.perf_counter() - started
    return {
        "model": "tiny random NLLB-format M2M100 (d_model 32, 1+1 layers)",
        "segments": len(batch),
        "load_seconds": round(load_s, 2),
        "seconds": round(elapsed, 2),
        "segments_per_second": round(len(batch) / elapsed, 1),
        "origins": result.to_dict()["counts"],
    }


def bench_coverage() -> dict:
    """Share of the development bulletins' sentences covered by memory + glossary after importing the sample TSV."""
    import nlp
    from nlp.translation_memory import parse_tsv_memory

    pairs = parse_tsv_memory((REPO / "bench" / "data" / "tm_sample.tsv").read_text(encoding="utf-8"))
    memory = nlp.TranslationMemory("khm", [nlp.memory_entry(s, t, origin="import") for s, t in pairs])
    khm = nlp.get_language("khm")
    result = nlp.translate_segments(
        _sentences([DATA / "bulletins"]), khm, memory=memory, glossary=nlp.load_glossary("khm")
    )
    counts = result.to_dict()["counts"]
    covered = sum(v for k, v in counts.items() if k != "needs_translator")
    return {
        "memory_pairs": len(pairs),
        "glossary_terms": len(nlp.load_glossary("khm")),
        "segments": len(result.segments),
        "covered": covered,
        "share": round(covered / len(result.segments), 3),
        "origins": counts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--model-segments", type=int, default=64)
    args = parser.parse_args()
    report = {
        "memory": bench_memory(args.segments, args.queries),
        "model": bench_model(args.model_segments),
        "coverage": bench_coverage(),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
