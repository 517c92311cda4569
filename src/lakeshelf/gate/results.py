"""What a quality-suite run found: one Outcome per expectation, collected in a SuiteResult."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Outcome:
    """The result of one expectation."""

    type: str
    kwargs: dict[str, Any]
    severity: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    observed_value: Any = None
    examples: list[Any] = field(default_factory=list)
    error: str | None = None
    engine: str = "great_expectations"  # the evaluator: great_expectations or lakeshelf

    @property
    def blocking(self) -> bool:
        """True when this outcome stops a publish."""
        return not self.success and self.severity != "warn"

    def describe(self) -> str:
        """One line for people: what failed, with counts and example values."""
        target = self.kwargs.get("column") or self.kwargs.get("column_list") or "table"
        if self.error:
            return f"{self.type} on {target}: could not run: {self.error}"
        counts = (
            f"{self.unexpected_count} of {self.element_count} rows unexpected"
            if self.unexpected_count is not None
            else f"observed {self.observed_value!r}"
        )
        examples = f"; e.g. {self.examples[:5]!r}" if self.examples else ""
        return f"{self.type} on {target}: {counts}{examples}"


@dataclass
class SuiteResult:
    """All outcomes of one suite run."""

    suite: str
    outcomes: list[Outcome]

    @property
    def passed(self) -> bool:
        """True when no blocking expectation failed."""
        return not any(o.blocking for o in self.outcomes)

    def as_record(self) -> dict[str, Any]:
        """JSON-ready form recorded in the commit and the registry."""
        return {
            "name": self.suite,
            "passed": self.passed,
            "result": [asdict(o) for o in self.outcomes],
        }

    def failure_message(self) -> str:
        """Which expectations blocked, with counts and examples."""
        lines = [f"  - {o.describe()}" for o in self.outcomes if o.blocking]
        warned = [
            f"  ~ {o.describe()} (severity warn)"
            for o in self.outcomes
            if not o.success and not o.blocking
        ]
        return "\n".join(lines + warned)


def plain(value: Any) -> Any:
    """``value`` if JSON can hold it, else its text (Decimals, dates, timestamps)."""
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)
