"""Train the summarizer's learned sentence value (nlp/sentence_model.py) on annotated bulletins.

Training data: the training bulletins (bench/data/bulletins_train) and the sample bulletins
(../shared/data/bulletins), never the held-out or test ones. Each sentence of a draft is labelled 1
when it alone keeps one of the bulletin's key facts (bench/keyfacts.py), and a logistic regression
with an L2 penalty learns that chance from the features of nlp/sentence_model.py. The penalty and
the exponent the summarizer raises the chance to are chosen by cross-validation over the training
bulletins (grouped by bulletin, ``--folds`` folds): the pair whose summaries of the left-out bulletins
keep the most key facts. Exponent 0 (the rule-based value alone) is one of the choices, so the model
is only used when it helps on bulletins it was not trained on. Then the model is trained on all the
training bulletins and, with ``--write``, saved to nlp/data/sentence_model.json.

Prints JSON: the choice, the cross-validated recall of each pair, and the recall of each set with and
without the model (held-out and test read only here, after the choice).

    python bench/summary_model.py            # train and report
    python bench/summary_model.py --write    # ... and save the model the summarizer uses
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # bench.keyfacts

DATA = REPO / "bench" / "data"
SAMPLE = REPO.parent / "shared" / "data" / "bulletins"
PENALTIES = (1.0, 10.0, 30.0, 100.0)
EXPONENTS = (0.0, 0.5, 1.0, 2.0)
# How the chance enters a reading's value: times the rule-based value, or in its place.
COMBINE = ("multiply", "replace")
# What a sentence is labelled 1 for: it alone keeps a key fact, or it is in the best script found within
# the budget (bench/summarize_eval.py ceiling_facts): which sentences a best choice takes.
LABELS = ("fact", "oracle")
VOICE = "espeak-vi-north"


def load(folder: Path) -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]


def prepared(bulletin: dict) -> dict:
    """The bulletin's sentences, their feature rows and labels (computed once)."""
    from bench.keyfacts import key_fact_kept
    from nlp.clean import clean_text
    from nlp.duration import speaking_rate
    from nlp.sentence_model import sentence_features
    from nlp.sentence_value import score_sentences
    from nlp.sentences import split_sentences

    sentences = split_sentences(clean_text(bulletin["body"]))
    scores = score_sentences(sentences, title=bulletin["title"])
    rows = sentence_features(sentences, scores, speaking_rate(VOICE), title=bulletin["title"])
    labels = {
        "fact": [float(any(key_fact_kept(fact, s) for fact in bulletin["key_facts"])) for s in sentences]
    }
    if bulletin.get("_oracle", True):
        from bench.summarize_eval import ceiling_facts
        from nlp.shorten import sentence_options

        _, best = ceiling_facts(bulletin, VOICE)
        chosen = set(best)
        labels["oracle"] = [float(any(t in chosen for t in group)) for group in sentence_options(sentences)]
    return {**bulletin, "sentences": sentences, "rows": rows, "labels": labels}


def train(bulletins: list[dict], penalty: float, exponent: float, labels: str = "fact") -> dict:
    """Logistic regression on the bulletins' sentences (standardised features, L2 penalty, gradient descent)."""
    import numpy as np

    from nlp.sentence_model import FEATURES

    x = np.array([row for b in bulletins for row in b["rows"]], dtype=float)
    y = np.array([label for b in bulletins for label in b["labels"][labels]], dtype=float)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    weights, bias = np.zeros(x.shape[1]), 0.0
    for _ in range(3000):
        p = 1.0 / (1.0 + np.exp(-(z @ weights + bias)))
        weights -= 0.5 * (z.T @ (p - y) + penalty * weights) / len(y)
        bias -= 0.5 * float(np.mean(p - y))
    return {
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "weights": [round(float(v), 6) for v in weights],
        "bias": round(bias, 6),
        "exponent": exponent,
        "penalty": penalty,
        "labels": labels,
    }


def recall(bulletins: list[dict], model: dict | None) -> tuple[int, int]:
    """Key facts kept by the summaries made with ``model`` (None: the rule-based value alone)."""
    from bench.keyfacts import key_fact_kept
    from nlp.duration import speaking_rate
    from nlp.summary import summarize_extractive

    kept = total = 0
    for b in bulletins:
        script = summarize_extractive(
            b["sentences"],
            target_seconds=float(b["target_seconds"]),
            title=b["title"],
            rate=speaking_rate(VOICE),
            model=model,
        ).script
        kept += sum(key_fact_kept(fact, script) for fact in b["key_facts"])
        total += len(b["key_facts"])
    return kept, total


def cross_validated(
    bulletins: list[dict], folds: int
) -> dict[tuple[str, float, str, float], tuple[int, int]]:
    """Facts kept on left-out bulletins per (labels, penalty, combine, exponent), bulletins dealt to folds in turn."""
    results: dict[tuple[str, float, str, float], list[int]] = {}
    for fold in range(folds):
        held = [b for i, b in enumerate(bulletins) if i % folds == fold]
        rest = [b for i, b in enumerate(bulletins) if i % folds != fold]
        for labels in LABELS:
            for penalty in PENALTIES:
                model = train(rest, penalty, 1.0, labels)
                for combine in COMBINE:
                    for exponent in EXPONENTS:
                        if exponent == 0 and (combine, labels, penalty) != (
                            COMBINE[0],
                            LABELS[0],
                            PENALTIES[0],
                        ):
                            continue  # the rules alone, counted once
                        kept, total = recall(held, {**model, "exponent": exponent, "combine": combine})
                        sums = results.setdefault((labels, penalty, combine, exponent), [0, 0])
                        sums[0] += kept
                        sums[1] += total
    return {key: (kept, total) for key, (kept, total) in results.items()}


def main() -> int:
    from nlp.summary import summarize_extractive  # noqa: F401 (import once, outside the timing)

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="save the model to nlp/data/sentence_model.json")
    args = parser.parse_args()
    started = time.perf_counter()
    training = [prepared(b) for b in load(DATA / "bulletins_train") + load(SAMPLE)]
    scores = cross_validated(training, args.folds)
    # most facts kept; on a tie the weaker model (higher penalty, lower exponent)
    (labels, penalty, combine, exponent), _ = max(
        scores.items(), key=lambda kv: (kv[1][0], kv[0][3] == 0, kv[0][1], -kv[0][3])
    )
    model = {**train(training, penalty, exponent, labels), "combine": combine}
    model["trained_on"] = {
        "sets": ["bench/data/bulletins_train", "shared/data/bulletins"],
        "bulletins": len(training),
        "sentences": sum(len(b["sentences"]) for b in training),
        "positive_share": round(
            sum(sum(b["labels"][labels]) for b in training) / sum(len(b["sentences"]) for b in training), 3
        ),
        "voice": VOICE,
        "cross_validated_recall": "{}/{}".format(*scores[(labels, penalty, combine, exponent)]),
        "date": datetime.now(UTC).date().isoformat(),
    }
    sets = {
        "training": training,
        "heldout": [prepared({**b, "_oracle": False}) for b in load(DATA / "bulletins_heldout")],
        "test": [prepared({**b, "_oracle": False}) for b in load(DATA / "bulletins_test")],
    }
    report = {
        "choice": {"labels": labels, "penalty": penalty, "combine": combine, "exponent": exponent},
        "cross_validated": {
            f"{lab} labels, penalty {p:g}, {c}, exponent {e:g}": f"{k}/{t} = {k / t:.3f}"
            for (lab, p, c, e), (k, t) in sorted(scores.items())
        },
        "recall": {
            name: {
                "rules alone": "{}/{}".format(*recall(bulletins, None)),
                "with the model": "{}/{}".format(*recall(bulletins, model)),
            }
            for name, bulletins in sets.items()
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    if args.write:
        from nlp.sentence_model import MODEL_FILE

        MODEL_FILE.write_text(json.dumps(model, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        report["written"] = str(MODEL_FILE.relative_to(REPO))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
