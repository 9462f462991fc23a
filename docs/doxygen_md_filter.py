#!/usr/bin/env python3
"""Doxygen input filter for docs/*.md (docs/Doxyfile's FILTER_PATTERNS).

The pages are written for GitHub, which gives every heading an anchor from its text. Doxygen
1.9.4 (Debian 12) does not, so links to headings would not resolve there. This gives each
heading below the title an explicit label, page-prefixed so labels stay unique across pages,
and points `(#anchor)` and `(page.md#anchor)` links at those labels. Backslashes inside code
spans are doubled, since Doxygen would read `\\u...` there as a command. Links to files
outside docs/ become their path.
"""
import pathlib
import re
import sys


def slug(text):
    text = re.sub(r"[`*_\[\]()]", "", text.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def main():
    path = pathlib.Path(sys.argv[1])
    page = path.stem
    out = []
    in_fence = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence:
            heading = re.match(r"^(#{2,6}) (.*?)\s*$", line)
            if heading and "{#" not in line:
                line = f"{heading.group(1)} {heading.group(2)} {{#{page}-{slug(heading.group(2))}}}"
            # Other pages' anchors first, marked so the same-page rule leaves them alone.
            line = re.sub(r"\(([\w-]+)\.md#([\w-]+)\)", "(#\0\\1-\\2)", line)
            line = re.sub(r"\(#([\w-]+)\)", rf"(#{page}-\1)", line).replace("\0", "")
            line = re.sub(r"`[^`]*`", lambda m: m.group(0).replace("\\", "\\\\"), line)
            # Files outside docs/ are not part of the reference: images by name (IMAGE_PATH),
            # other links as the file's path in the source tree.
            line = re.sub(r"!\[([^]]*)\]\(\.\./(?:[\w-]+/)*([\w.-]+)\)", r"![\1](\2)", line)
            line = re.sub(r"\[([^]]*)\]\(\.\./([^)#]+)(?:#[^)]*)?\)", r"\1 (`\2`)", line)
        out.append(line)
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
