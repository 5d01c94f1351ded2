"""The doctor's findings: one line each, with ✅, ⚠️ or ❌ and what to do about it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_BAD_SETTINGS = 2


class Status(Enum):
    """How bad a finding is; the value is the mark shown in front of it."""

    OK = "✅"
    WARN = "⚠️"
    FAIL = "❌"


@dataclass(frozen=True, slots=True)
class Finding:
    """One checked fact: what was checked, what was found, and the fix when it is not fine."""

    status: Status
    subject: str
    detail: str
    fix: str = ""

    def line(self) -> str:
        """The finding as one line of text (the fix after an arrow)."""
        text = f"{self.status.value} {self.subject}: {self.detail}"
        return f"{text} → {self.fix}" if self.fix and self.status is not Status.OK else text


def ok(subject: str, detail: str) -> Finding:
    """A check that passed."""
    return Finding(Status.OK, subject, detail)


def warn(subject: str, detail: str, fix: str) -> Finding:
    """Works, but the owner should know."""
    return Finding(Status.WARN, subject, detail, fix)


def fail(subject: str, detail: str, fix: str) -> Finding:
    """Broken: something will not work until it is fixed."""
    return Finding(Status.FAIL, subject, detail, fix)


def render(findings: Iterable[Finding]) -> str:
    """Every finding as a line, then a one-line summary."""
    found = list(findings)
    lines = [finding.line() for finding in found]
    failed = sum(finding.status is Status.FAIL for finding in found)
    warned = sum(finding.status is Status.WARN for finding in found)
    if failed:
        lines.append(f"{failed} problem(s) to fix, {warned} warning(s).")
    elif warned:
        lines.append(f"No problems; {warned} warning(s) worth a look.")
    else:
        lines.append("Everything looks good.")
    return "\n".join(lines)


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when nothing failed, 1 otherwise."""
    return EXIT_PROBLEMS if any(f.status is Status.FAIL for f in findings) else EXIT_OK
