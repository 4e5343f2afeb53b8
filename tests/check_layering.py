#!/usr/bin/env python3
"""The layering of sim/ (one folder = one layer = one CMake library) against the code.

Usage (CTest `layering`, arguments generated from CMakeLists.txt's COLLABSIM_DEPS_* table):
    check_layering.py SOURCE_DIR core= config=core hardware=core,config ...

Fails (exit 1, one line per violation naming file and line) when
  - a file of layer L includes "sim/<M>/..." and M is neither L nor a declared dependency
    of L (the one exception: topology may include the plain struct sim/network/link_spec.hpp);
  - a header of a model layer (core, hardware, network, topology, workload, quality,
    kernels) reaches <toml++/...> through its includes (directly or transitively), or
    includes sim/scenario/ or sim/config/toml_params.hpp;
  - a folder of sim/ is not in the table;
  - a header of sim/mechanisms/ reaches <toml++/...> (mechanisms read typed parameters,
    never TOML nodes);
  - a function of sim/ is longer than MAX_FUNCTION_LINES lines, from the line of its
    opening brace to the line of its closing brace (a brace-matching scan over the code
    with comments and string literals blanked; lambdas count toward the function that
    holds them).
"""
from __future__ import annotations

import os
import re
import sys

MODEL_LAYERS = {"core", "hardware", "network", "topology", "workload", "quality", "kernels"}
EXCEPTIONS = {("topology", "sim/network/link_spec.hpp")}
TOML_FREE_LAYERS = MODEL_LAYERS | {"mechanisms"}
MAX_FUNCTION_LINES = 80
# Functions still longer than MAX_FUNCTION_LINES, per file (issue 22): a ratchet that only
# shrinks (the check fails on a stale entry). Empty since every function of sim/ was split;
# a new entry needs a reason a reviewer accepts.
LONG_FUNCTIONS_TO_SPLIT: dict[str, int] = {}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def includes(path: str) -> list[tuple[int, str]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            m = INCLUDE.match(line)
            if m:
                out.append((n, m.group(1)))
    return out


def blank_comments_and_strings(text: str) -> str:
    """`text` with comments, string and character literals emptied (newlines kept)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
            continue
        raw = RAW_STRING.match(text, i) if c == "R" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if raw:
            end = ")" + raw.group(1) + '"'
            j = text.find(end, raw.end())
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
            continue
        if c == '"' or (c == "'" and not (i > 0 and text[i - 1].isalnum())):  # not a digit separator
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


RAW_STRING = re.compile(r'R"([^(\s]*)\(')
FUNCTION_TAIL = re.compile(r"(\s*(const|noexcept|override|final|mutable|->\s*[\w:<>,\s*&]+))+$")
CONTROL = re.compile(r"\b(if|for|while|switch|catch)\s*\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)$")


def long_functions(path: str, limit: int) -> list[tuple[int, int]]:
    """(first line, lines) of every outermost function body in `path` longer than `limit`."""
    with open(path, encoding="utf-8") as fh:
        code = blank_comments_and_strings(fh.read())
    out = []
    stack: list[tuple[int, bool]] = []  # (offset of '{', opens a function body)
    for m in re.finditer(r"[{}]", code):
        if m.group() == "{":
            before = FUNCTION_TAIL.sub("", code[: m.start()].rstrip())
            stack.append((m.start(), before.endswith(")") and not CONTROL.search(before)))
            continue
        if not stack:
            continue
        start, is_function = stack.pop()
        if is_function and not any(f for _, f in stack):
            first = code.count("\n", 0, start) + 1
            lines = code.count("\n", start, m.start()) + 1
            if lines > limit:
                out.append((first, lines))
    return out


def main(argv: list[str]) -> int:
    root = argv[1]
    deps = {}
    for arg in argv[2:]:
        layer, _, d = arg.partition("=")
        deps[layer] = {x for x in d.split(",") if x}
    problems = []
    sim = os.path.join(root, "sim")
    folders = sorted(d for d in os.listdir(sim) if os.path.isdir(os.path.join(sim, d)))
    for f in folders:
        if f not in deps:
            problems.append(f"sim/{f}/: folder is not a declared layer (add it to COLLABSIM_LAYERS in CMakeLists.txt)")
    files = {}
    for f in folders:
        for name in sorted(os.listdir(os.path.join(sim, f))):
            if name.endswith((".hpp", ".cpp")):
                rel = f"sim/{f}/{name}"
                files[rel] = includes(os.path.join(root, rel))
    for rel, incs in files.items():
        layer = rel.split("/")[1]
        for line, inc in incs:
            m = re.match(r"sim/([a-z_]+)/", inc)
            if not m or m.group(1) == layer:
                continue
            if m.group(1) not in deps.get(layer, set()) and (layer, inc) not in EXCEPTIONS:
                problems.append(f"{rel}:{line}: layer '{layer}' includes {inc}, but '{m.group(1)}' is not among its "
                                f"declared dependencies ({', '.join(sorted(deps.get(layer, []))) or 'none'})")

    def reaches_toml(rel: str, seen: set[str]) -> str | None:
        """The include chain from `rel` to toml++, or None."""
        for _, inc in files.get(rel, []):
            if inc.startswith("toml++/"):
                return f"{rel} → <{inc}>"
            if inc in files and inc not in seen:
                seen.add(inc)
                chain = reaches_toml(inc, seen)
                if chain:
                    return f"{rel} → {chain}"
        return None

    for rel in files:
        layer = rel.split("/")[1]
        if layer in TOML_FREE_LAYERS and rel.endswith(".hpp"):
            chain = reaches_toml(rel, {rel})
            if chain:
                problems.append(f"{rel}: a {'mechanism' if layer == 'mechanisms' else 'model-layer'} header reaches "
                                f"TOML++: {chain}")
            for line, inc in files[rel] if layer in MODEL_LAYERS else []:
                if inc.startswith("sim/scenario/") or inc == "sim/config/toml_params.hpp":
                    problems.append(f"{rel}:{line}: a model-layer header includes {inc}")
    for rel in files:
        found = long_functions(os.path.join(root, rel), MAX_FUNCTION_LINES)
        pending = LONG_FUNCTIONS_TO_SPLIT.get(rel, 0)
        if len(found) > pending:
            for first, lines in found:
                problems.append(f"{rel}:{first}: a function of {lines} lines (at most {MAX_FUNCTION_LINES}: split it "
                                "into named steps)")
        elif len(found) < pending:
            problems.append(f"{rel}: {len(found)} function(s) over {MAX_FUNCTION_LINES} lines, but "
                            f"LONG_FUNCTIONS_TO_SPLIT in tests/check_layering.py allows {pending}: lower the entry")
    for rel in LONG_FUNCTIONS_TO_SPLIT:
        if rel not in files:
            problems.append(f"{rel}: listed in LONG_FUNCTIONS_TO_SPLIT but not a file of sim/: remove the entry")
    for p in problems:
        print(p)
    print(f"checked {len(files)} files of {len(folders)} layers: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
