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
  - a folder of sim/ is not in the table.
"""
from __future__ import annotations

import os
import re
import sys

MODEL_LAYERS = {"core", "hardware", "network", "topology", "workload", "quality", "kernels"}
EXCEPTIONS = {("topology", "sim/network/link_spec.hpp")}
INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def includes(path: str) -> list[tuple[int, str]]:
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            m = INCLUDE.match(line)
            if m:
                out.append((n, m.group(1)))
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
        if layer in MODEL_LAYERS and rel.endswith(".hpp"):
            chain = reaches_toml(rel, {rel})
            if chain:
                problems.append(f"{rel}: a model-layer header reaches TOML++: {chain}")
            for line, inc in files[rel]:
                if inc.startswith("sim/scenario/") or inc == "sim/config/toml_params.hpp":
                    problems.append(f"{rel}:{line}: a model-layer header includes {inc}")
    for p in problems:
        print(p)
    print(f"checked {len(files)} files of {len(folders)} layers: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
