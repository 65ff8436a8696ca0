r"""Located errors in spec files."""

from __future__ import annotations

__all__ = ["Diagnostic", "SpecError"]

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Diagnostic:
    r"""One error, located in a spec file.

    Arguments:
        path: The file, as the user gave it.
        line: The 1-based line of the offending YAML node.
        column: The 1-based column of the offending YAML node.
        message: What is wrong, and where possible how to fix it.
    """

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: error: {self.message}"


class SpecError(Exception):
    r"""One or more spec files are invalid.

    Arguments:
        diagnostics: Every error found, in file order.
    """

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__("\n".join(map(str, diagnostics)))

        self.diagnostics = diagnostics
