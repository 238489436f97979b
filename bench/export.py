"""Export throughput and peak memory for 10k and 100k records, in one run.

Synthetic tutoring conversations (system + 4 turns, ~0.6 KB of text drawn from 997 distinct
dialogues, a tenth mentioning a person's name and e-mail, 5% from students who opted out) go
through the real exporter (privacy, SFT builder, split, streaming writer, manifest) as JSONL
and as Parquet. Each case runs in a fresh process so its peak RSS is its own. No database.

    .venv/bin/python bench/export.py [--sizes 10000 100000] [--format sft]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
LEARNERS, NAMES, POOL = 2_000, 3_000, 997


def synthetic(n: int, kind: str):
    """`n` records over a pool of 997 distinct texts built up front, so the exporter is measured."""
    from apps.exports.records import Conversation, Message, PreferencePair, RecordMeta

    pool = []
    for i in range(POOL):
        mention = f" My friend name{i} (n{i}@school.example) says 19." if i % 10 == 0 else ""
        student = f"I multiplied 3 by 6 and then added {i}, so I got {18 + i}.{mention}"
        tutor = (f"Good start. Look again at what the question asks for: do we need to add {i} "
                 "after finding how many apples are in all the bags? What does each bag hold?")
        if kind == "Conversation":
            pool.append((
                Message("system", f"You are a patient maths tutor talking with a student. Problem {i}: "
                                  "Janet has 3 bags with 6 apples each. How many apples does she have?"),
                Message("user", student), Message("assistant", tutor),
                Message("user", f"Oh, each bag has 6 so 3 times 6 is 18 and I should not add {i}."),
                Message("assistant", f"Exactly. Can you say why multiplication fits problem {i}?")))
        else:
            pool.append(((Message("user", student),), tutor, f"The answer is {18 + i} apples."))
    when = datetime(2026, 3, 1, tzinfo=UTC)

    def records():
        for i in range(n):
            learner = i % LEARNERS
            meta = RecordMeta(conversation_id=f"tutoring-{i}", source="tutoring", created_at=when,
                              learner_id=learner, classroom_id=learner % 40, engine="vllm", model="qwen")
            if kind == "Conversation":
                yield Conversation(meta, pool[i % POOL])
            else:
                prompt, chosen, rejected = pool[i % POOL]
                yield PreferencePair(meta, prompt, chosen=chosen, rejected=rejected)

    return records()


def child(n: int, file_type: str, format_name: str) -> dict:
    """One case, in this process: returns seconds and RSS before and at peak."""
    from apps.exports.filters import ExportFilters
    from apps.exports.formats import FORMATS
    from apps.exports.names import Person
    from apps.exports.pipeline import write_dataset
    from apps.exports.privacy import Privacy

    privacy = Privacy(people=tuple(Person(f"name{i}", f"n{i}x") for i in range(NAMES)),
                      opted_out=frozenset(range(0, LEARNERS, 20)))
    records = synthetic(n, FORMATS[format_name].reads.__name__)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory() as tmp:
        started, cpu_started = time.perf_counter(), time.process_time()
        manifest = write_dataset(records, format_name=format_name, file_type=file_type,
                                 out_dir=Path(tmp) / "out", filters=ExportFilters(), privacy=privacy)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        size = sum(f["bytes"] for f in manifest["files"])
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"records": n, "seconds": seconds, "cpu_seconds": cpu, "rss_before_mb": rss_before,
            "rss_peak_mb": rss_peak,
            "written": manifest["counts"]["train"] + manifest["counts"]["validation"],
            "bytes": size}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--format", default="sft", help="sft, dpo, openai_chat, openai_preference")
    parser.add_argument("--child", nargs=3, metavar=("N", "FILE_TYPE", "FORMAT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(int(args.child[0]), args.child[1], args.child[2])))
        return
    print(f"format {args.format}; records/s = records read / wall seconds of the whole export "
          f"(per CPU-second in brackets, robust on a shared machine); peak RSS growth = peak - RSS "
          f"before the export (fresh process per case); load average {os.getloadavg()[0]:.1f}")
    print(f"{'file type':>9} {'records':>8} {'written':>8} {'seconds':>8} {'records/s':>10} "
          f"{'(per CPU-s)':>11} {'MB out':>7} {'RSS before':>10} {'RSS peak':>9} {'growth':>7}")
    for file_type in ("jsonl", "parquet"):
        results = []
        for n in args.sizes:
            out = subprocess.run([sys.executable, __file__, "--child", str(n), file_type, args.format],
                                 capture_output=True, text=True, check=True, cwd=ROOT)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            r["rate"], r["growth"] = r["records"] / r["seconds"], r["rss_peak_mb"] - r["rss_before_mb"]
            cpu_rate = r["records"] / r["cpu_seconds"]
            results.append(r)
            print(f"{file_type:>9} {n:>8} {r['written']:>8} {r['seconds']:>8.2f} {r['rate']:>10,.0f} "
                  f"{f'({cpu_rate:,.0f})':>11} {r['bytes'] / 1e6:>7.1f} {r['rss_before_mb']:>8.0f}MB "
                  f"{r['rss_peak_mb']:>7.0f}MB "
                  f"{r['growth']:>5.1f}MB")
        small, large = results[0], results[-1]
        print(f"{file_type:>9}: {large['records'] // small['records']}x the records → records/s x"
              f"{large['rate'] / small['rate']:.2f}, peak RSS growth {small['growth']:.1f} MB → "
              f"{large['growth']:.1f} MB")


if __name__ == "__main__":
    main()
