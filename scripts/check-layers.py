#!/usr/bin/env python3
"""check-layers.py - fail when a file under src/ includes a header of a layer above its own.

The layers and the domain modules' order are those of docs/internals/architecture.md. Every
folder of src/ must be listed here, so a new module has to take a place in the picture.
Prints one line per offending include (file:line: what) and exits 1; exits 0 when clean.
"""
import pathlib
import re
import sys

LAYER = {
    "util": 0,
    "net": 1, "record": 1, "store": 1,
    "select": 2,
    "server": 4,
    "cli": 5,
}
# Domain modules (layer 3), lowest first: each may include only those before it.
DOMAIN = ["auth", "orgs", "criteria", "records", "registry", "reports"]
for m in DOMAIN:
    LAYER[m] = 3

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def allowed(src: str, dst: str) -> bool:
    if src == dst:
        return True
    if src == "cli":
        return True
    if LAYER[src] == 1:  # net, record and store are siblings over util
        return dst == "util"
    if LAYER[src] == 3 and LAYER[dst] == 3:
        return DOMAIN.index(dst) < DOMAIN.index(src)
    return LAYER[dst] < LAYER[src]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".") / "src"
    problems = []
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        if d.name not in LAYER:
            problems.append(f"src/{d.name}/: a module not placed in a layer "
                            "(add it to scripts/check-layers.py and docs/internals/architecture.md)")
    for f in sorted(root.rglob("*")):
        if f.suffix not in (".c", ".h") or not f.is_file():
            continue
        src = f.relative_to(root).parts[0]
        if src not in LAYER:
            continue
        for n, line in enumerate(f.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            parts = m.group(1).split("/")
            if len(parts) < 2:
                problems.append(f"{f.relative_to(root.parent)}:{n}: include \"{m.group(1)}\" "
                                "without its module folder")
                continue
            dst = parts[0]
            if dst not in LAYER:
                problems.append(f"{f.relative_to(root.parent)}:{n}: include of unknown module '{dst}'")
            elif not allowed(src, dst):
                problems.append(f"{f.relative_to(root.parent)}:{n}: {src} (layer {LAYER[src]}) "
                                f"includes {m.group(1)} ({dst}, layer {LAYER[dst]})")
    for p in problems:
        print(p)
    if problems:
        print(f"{len(problems)} layering problem(s); see docs/internals/architecture.md")
        return 1
    print("layers: every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
