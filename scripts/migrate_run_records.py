"""One-off migration of the committed run records to the current key schema (rankseg.config.KEY_SCHEMA).

Schema 1 keyed a run by its whole config minus fields added later (LATER_FIELDS); schema 2 keys it by the
result-relevant fields only (rankseg.config.result_dict) and stores provenance with each record; schema 3 also
leaves out data.root (where a benchmark lies on a machine). For each record of an older schema this rewrites
it under its new key and renames its checkpoint folder runs/<old key> and its derived results; a record
without provenance gets the git revision that committed it (the library versions of those runs were not
recorded).

    python scripts/migrate_run_records.py            # every profile under results/
"""

from __future__ import annotations

import json
import subprocess

from rankseg.config import KEY_SCHEMA
from rankseg.experiments.runner import read_record, run_key, write_record
from rankseg.paths import RESULTS, ROOT, RUNS


def committed_in(path) -> str:
    out = subprocess.run(["git", "log", "--diff-filter=A", "--format=%h", "-1", "--", str(path.relative_to(ROOT))],
                         cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip() or "unknown"


def main() -> None:
    moved = 0
    for path in sorted(RESULTS.glob("*/runs/*.json")):
        if json.loads(path.read_text()).get("schema", 1) >= KEY_SCHEMA:
            continue
        record = read_record(path)
        old, record.key = record.key, run_key(record.config)
        record.provenance = record.provenance or {"git_revision": committed_in(path),
                                                  "versions": "not recorded (key schema 1)"}
        write_record(record)
        if record.key != old:
            path.unlink()
            for suffix in (".json", ".npz"):
                src = path.parent / "derived" / (old + suffix)
                if src.is_file():
                    src.rename(src.with_name(record.key + suffix))
            if (RUNS / old).is_dir() and not (RUNS / record.key).exists():
                (RUNS / old).rename(RUNS / record.key)
        moved += 1
        print(f"{path.parent.parent.name}: {old} -> {record.key}")
    print(f"{moved} record(s) migrated to key schema {KEY_SCHEMA}")


if __name__ == "__main__":
    main()
