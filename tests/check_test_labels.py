#!/usr/bin/env python3
"""Every GoogleTest suite of the test binary carries exactly one CTest label.

Usage (CTest `test_labels`, arguments generated from tests/labels.cmake):
    check_test_labels.py TEST_BINARY unit=Engine,Rng,... simulation=... cli=... statistical=...

Runs `TEST_BINARY --gtest_list_tests` and fails (exit 1, one line per problem) when
  - a suite is in no label list (its tests would run in CTest only under the label
    `unlisted`, and never in `ctest -L unit` or the sanitizer stage's label selection);
  - a suite is in two label lists;
  - a listed suite does not exist (a renamed or deleted suite left in the table).
Typed suites (`QueueTest/0`) and instantiated ones (`Prefix/Suite`) count as their suite.
"""
from __future__ import annotations

import re
import subprocess
import sys


def suites(binary: str) -> set[str]:
    out = subprocess.run([binary, "--gtest_list_tests"], check=True, capture_output=True, text=True).stdout
    found = set()
    for line in out.splitlines():
        if not line or line.startswith(" ") or line.startswith("Running main()"):
            continue  # blank, a test name, gtest_main's banner
        name = line.split("#")[0].strip().rstrip(".")
        name = re.sub(r"/\d+$", "", name)  # typed suite: QueueTest/0
        name = name.rsplit("/", 1)[-1]     # instantiated suite: Prefix/Suite
        found.add(name)
    return found


def main(argv: list[str]) -> int:
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    labels: dict[str, list[str]] = {}
    for arg in argv[2:]:
        label, _, names = arg.partition("=")
        for s in filter(None, names.split(",")):
            labels.setdefault(s, []).append(label)
    have = suites(argv[1])
    problems = []
    for s in sorted(have):
        if s not in labels:
            problems.append(f"suite {s}: no label; add it to one list of tests/labels.cmake")
        elif len(labels[s]) > 1:
            problems.append(f"suite {s}: in more than one label list ({', '.join(labels[s])})")
    for s in sorted(set(labels) - have):
        problems.append(f"suite {s}: listed in tests/labels.cmake ({', '.join(labels[s])}) but not in {argv[1]}")
    for p in problems:
        print(p)
    if not problems:
        print(f"{len(have)} suites, each with one label")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
