"""Counting and printing check results."""

from __future__ import annotations



class Report:
    def __init__(self, quiet: bool = False) -> None:
        self.passed = 0
        self.failed = 0
        self.quiet = quiet

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            if not self.quiet:
                print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
        return ok


class Collector:
    """Collects the results of the invariant checks of one rendered set (for the self-test)."""

    def __init__(self) -> None:
        self.results: list[tuple[bool, str, str]] = []

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        self.results.append((bool(ok), name, detail))
        return bool(ok)

    def failures(self) -> list[str]:
        return [f"{name}: {detail}" for ok, name, detail in self.results if not ok]
