#!/usr/bin/env python3
"""Names that would clash in a unity build (CTest `unity_names`, label unit).

Usage: check_unity_names.py SOURCE_DIR SKIPPED...   (SKIPPED: COLLABSIM_UNITY_SKIP, relative)

A unity build (CMakeLists.txt COLLABSIM_UNITY_BUILD, on in a clean clone's ./test.sh)
compiles several sources of one target as one translation unit, where the anonymous
namespaces of those sources are one namespace. Fails (exit 1, one line per clash) when two
sources of one target (a folder of sim/, tests/*.cpp, fuzz/*.cpp or python/src/*.cpp) that are not in the skip list both
define the same name with internal linkage at namespace scope (in an anonymous namespace,
or `static`): a struct, class or enum, a function, a constant (`const`/`constexpr ... = `)
or a `using` alias. Every pair is reported, not only the pairs that share a batch today:
the batches shift when a source is added. The scan is textual and errs on the side
of reporting (two overloads of one name are reported too): rename one, or add the source
to COLLABSIM_UNITY_SKIP. Builds with a compiler launcher (ccache) do not use unity batches,
so this check is what keeps the clean-clone build compiling.
"""
from __future__ import annotations

import collections
import glob
import os
import re
import sys

DECL_OPEN = [
    re.compile(r"\b(?:struct|class|enum(?:\s+class)?)\s+(\w+)\s*(?:final\s*)?(?::[^{]*)?$"),
    re.compile(r"(?<![\w:~])(\w+)\s*\([^()]*(?:\([^()]*\)[^()]*)*\)\s*(?:const\s*)?(?:noexcept\s*)?(?:->\s*[\w:<>,\s*&]+)?$"),
    re.compile(r"(\w+)\s*(?:\[\w*\])?\s*=\s*$"),
]
DECL_SEMI = [
    re.compile(r"(?:static\s+|inline\s+)?(?:constexpr|const)\b.*?(\w+)\s*(?:\[\w*\])?\s*=", re.S),
    re.compile(r"using\s+(\w+)\s*="),
]
NOT_NAMES = {"if", "for", "while", "switch", "return", "main", "TEST", "TEST_F", "TEST_P", "TYPED_TEST"}


def blank(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r'R"(\w*)\((.*?)\)\1"', '""', text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"'(\\.|[^'\\\n])'", "''", text)


def names(path: str) -> set[str]:
    """Names with internal linkage defined at namespace scope: inside an anonymous
    namespace, or declared `static` (names with external linkage clash at link time in any
    build, and a unity batch changes nothing for them)."""
    with open(path, encoding="utf-8") as fh:
        code = blank(fh.read())
    out: set[str] = set()
    scopes: list[str] = ["file"]  # per brace level: "file", "ns", "anon" (a namespace body) or "code"
    stmt, last = "", 0
    for m in re.finditer(r"namespace\s*([\w:]*)\s*\{|\{|\}|;", code):
        at_ns = "code" not in scopes
        if at_ns:
            stmt += code[last:m.start()]
        last = m.end()
        tok = m.group(0)
        s = re.sub(r"^\s*(template\s*<[^>]*>\s*)?", "", stmt).strip()
        internal = "anon" in scopes or s.startswith("static ") or re.match(r"(?:inline\s+)?(?:constexpr|const)\b", s)
        if tok.startswith("namespace"):
            scopes.append("ns" if m.group(1) else "anon")
        elif tok == "{":
            if at_ns and internal and not s.startswith(("TEST", "extern")):
                for p in DECL_OPEN:
                    mm = p.search(s)
                    if mm:
                        out.add(mm.group(1))
                        break
            scopes.append("code")
        elif tok == "}":
            if len(scopes) > 1:
                scopes.pop()
        elif at_ns and internal:
            for p in DECL_SEMI:
                mm = p.match(s)
                if mm:
                    out.add(mm.group(1))
        stmt = ""
    return out - NOT_NAMES


def main(argv: list[str]) -> int:
    root = argv[1]
    skipped = {os.path.normpath(s) for s in argv[2:]}
    targets = [sorted(glob.glob(os.path.join(root, "sim", d, "*.cpp")))
               for d in sorted(os.listdir(os.path.join(root, "sim")))]
    for d in ("tests", "fuzz", os.path.join("python", "src")):
        targets.append(sorted(glob.glob(os.path.join(root, d, "*.cpp"))))
    problems = []
    for files in targets:
        where = collections.defaultdict(list)
        for f in files:
            rel = os.path.relpath(f, root)
            if rel in skipped or rel == os.path.join("sim", "cli", "main.cpp"):
                continue
            for n in names(f):
                where[n].append(rel)
        for n, fs in sorted(where.items()):
            if len(fs) > 1:
                problems.append(f"'{n}' is defined at namespace scope in {', '.join(fs)}: in a unity batch "
                                "they clash; rename it in all but one, or add the file to COLLABSIM_UNITY_SKIP "
                                "(CMakeLists.txt)")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
