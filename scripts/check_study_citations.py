#!/usr/bin/env python3
"""Re-check every citation in ``docs/study_deviations.md`` against local git mirrors.

A citation is a code span ``COMMIT:PATH:LINES`` (study repository) or
``OWNER/NAME@COMMIT:PATH:LINES`` (another repository), ``LINES`` being ``N`` or ``N-M`` (1-based,
inclusive), followed on the same line, after optional spaces, by a second code span: the quote.
For each one the script checks that the commit exists in the mirror, that the path exists at that
commit, that the line range lies inside the file, and that the quote appears, whitespace
normalised (runs of spaces and line breaks count as one space; ``\\|`` in a table cell is ``|``),
within those lines; `` ... `` (spaces around) in a quote leaves text out, the parts must appear
in that order.

Citations into the study's repository (``leonardijulia/TM_HSI_finetuning``) are checked against
``--mirror``; those into another repository against ``--mirror-for OWNER/NAME=PATH``, and are
reported as ``not checked`` when none is given. A mirror is a bare or a normal git directory.

Run: ``.venv/bin/python scripts/check_study_citations.py --mirror PATH
[--mirror-for albumentations-team/albumentations=PATH ...] [--doc docs/study_deviations.md]``

Prints one line per citation (``OK``, ``FAIL`` with the reason, ``not checked`` with the reason),
then a summary line. Exit status: 0 all checked citations hold, 1 a citation fails (or the doc
has none), 2 usage error (no ``--mirror``, a missing doc or mirror).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

STUDY_REPO = "leonardijulia/TM_HSI_finetuning"
DEFAULT_DOC = Path(__file__).resolve().parents[1] / "docs" / "study_deviations.md"

REF = (r"(?:(?P<repo>[A-Za-z0-9][\w.-]*/[\w.-]+)@)?(?P<commit>[0-9a-f]{7,40})"
       r":(?P<path>[^`:\s]+):(?P<start>\d+)(?:-(?P<end>\d+))?")
CITATION = re.compile(f"`{REF}`")
QUOTE = re.compile(r"[ \t]*`(?P<quote>[^`]+)`")
GAP = " ... "  # in a quote: the text between is left out


@dataclass(frozen=True)
class Citation:
    """One ``commit:path:lines`` citation and the quote that follows it in the doc."""

    doc_line: int
    repo: str
    commit: str
    path: str
    start: int
    end: int
    quote: str | None

    def label(self) -> str:
        """The citation as written (``repo@`` only for another repository)."""
        lines = f"{self.start}" if self.start == self.end else f"{self.start}-{self.end}"
        prefix = "" if self.repo == STUDY_REPO else f"{self.repo}@"
        return f"{prefix}{self.commit}:{self.path}:{lines}"


def parse_citations(text: str) -> list[Citation]:
    """Every citation in a markdown text, in order.

    Args:
        text: the document.

    Returns:
        The citations, each with its 1-based document line and its quote (``None`` if absent).
    """
    found = []
    for i, line in enumerate(text.splitlines(), start=1):
        for m in CITATION.finditer(line):
            start = int(m["start"])
            end = int(m["end"]) if m["end"] else start
            q = QUOTE.match(line, m.end())
            quote = q["quote"] if q and not re.fullmatch(REF, q["quote"]) else None
            found.append(Citation(i, m["repo"] or STUDY_REPO, m["commit"], m["path"], start, end,
                                  quote))
    return found


def normalise(text: str) -> str:
    """Whitespace runs to one space, table-escaped pipes to pipes, stripped."""
    return " ".join(text.replace("\\|", "|").split())


def contains_in_order(text: str, parts: list[str]) -> bool:
    """Whether every part occurs in ``text``, each after the end of the previous one."""
    pos = 0
    for part in parts:
        found = text.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return True


class Mirror:
    """Read files at commits of one git directory (bare or not), with a cache."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: dict[tuple[str, str], str | None] = {}

    def _git(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(self.path), *args], capture_output=True,
                              text=True, check=False)

    def has_commit(self, commit: str) -> bool:
        """Whether ``commit`` names a commit of this mirror."""
        return self._git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0

    def read(self, commit: str, path: str) -> str | None:
        """The file's text at ``commit``, or ``None`` if the path is not in that commit."""
        key = (commit, path)
        if key not in self._files:
            r = self._git("show", f"{commit}:{path}")
            self._files[key] = r.stdout if r.returncode == 0 else None
        return self._files[key]


def check(c: Citation, mirror: Mirror) -> str | None:
    """Why the citation fails, or ``None`` when it holds.

    Args:
        c: the citation.
        mirror: the mirror of its repository.
    """
    if c.quote is None:
        return "no quote: follow the citation with the quoted line(s) in backticks"
    if not mirror.has_commit(c.commit):
        return f"commit {c.commit} not in the mirror {mirror.path}"
    text = mirror.read(c.commit, c.path)
    if text is None:
        return f"{c.path} does not exist at {c.commit}"
    lines = text.splitlines()
    if not 1 <= c.start <= c.end <= len(lines):
        return f"lines {c.start}-{c.end} are outside the file ({len(lines)} lines)"
    quote = normalise(c.quote)
    if contains_in_order(normalise(" ".join(lines[c.start - 1:c.end])), quote.split(GAP)):
        return None
    where = [i for i, line in enumerate(lines, start=1) if quote.split(GAP)[0] in normalise(line)]
    hint = f" (it is on line {', '.join(map(str, where[:3]))})" if where else ""
    return f"quote {c.quote!r} not in lines {c.start}-{c.end}{hint}"


def _mirror_for(value: str) -> tuple[str, Path]:
    repo, sep, path = value.partition("=")
    if not sep or "/" not in repo or not path:
        raise argparse.ArgumentTypeError(
            f"--mirror-for {value!r}: write it as OWNER/NAME=PATH, e.g. "
            "albumentations-team/albucore=/work/.mirror/albumentations-team+albucore/repo")
    return repo, Path(path)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mirror", type=Path,
                   help=f"git directory (bare or not) of {STUDY_REPO}")
    p.add_argument("--mirror-for", type=_mirror_for, action="append", default=[],
                   metavar="OWNER/NAME=PATH", help="git directory of another cited repository")
    p.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="the document to check")
    return p


def main(argv: list[str] | None = None) -> int:
    """Check the citations; print one line each and a summary. Returns the exit status."""
    args = _parser().parse_args(argv)
    if args.mirror is None:
        print(f"check_study_citations: give --mirror PATH (a git mirror of {STUDY_REPO}); "
              "without it nothing can be checked", file=sys.stderr)
        return 2
    given = {STUDY_REPO: args.mirror, **dict(args.mirror_for)}
    for repo, path in given.items():
        if not Path(path).is_dir():
            flag = "--mirror" if repo == STUDY_REPO else f"--mirror-for {repo}="
            print(f"check_study_citations: {flag} {path} is not a directory", file=sys.stderr)
            return 2
    if not args.doc.is_file():
        print(f"check_study_citations: --doc {args.doc} not found", file=sys.stderr)
        return 2
    mirrors = {repo: Mirror(Path(path)) for repo, path in given.items()}
    citations = parse_citations(args.doc.read_text(encoding="utf-8"))
    counts = {"OK": 0, "FAIL": 0, "not checked": 0}
    for c in citations:
        where = f"{args.doc.name}:{c.doc_line}"
        if c.repo not in mirrors:
            counts["not checked"] += 1
            print(f"not checked  {where}  {c.label()}: no --mirror-for {c.repo}=PATH given")
            continue
        reason = check(c, mirrors[c.repo])
        if reason is None:
            counts["OK"] += 1
            print(f"OK           {where}  {c.label()}")
        else:
            counts["FAIL"] += 1
            print(f"FAIL         {where}  {c.label()}: {reason}")
    print(f"{len(citations)} citations: {counts['OK']} OK, {counts['FAIL']} FAIL, "
          f"{counts['not checked']} not checked")
    if not citations:
        print(f"no citations found in {args.doc}: expected `COMMIT:PATH:LINES` `quote`")
        return 1
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
