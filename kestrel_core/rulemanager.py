"""Loading rules from files and folders through the installed rule formats."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs

from kestrel_core.errors import KestrelError, RuleSkipped
from kestrel_core.registry import ComponentRegistry
from kestrel_core.rules import Rule


@attrs.define
class RuleLoadFailure:
    """A rule file that could not be loaded, and why (the error text carries line and column)."""

    path: str
    error: str


@attrs.define
class RuleSet:
    """The outcome of loading: the rules, the failures, and what was skipped or ignored."""

    rules: list[Rule] = attrs.Factory(list)
    failures: list[RuleLoadFailure] = attrs.Factory(list)
    skipped: Counter[str] = attrs.Factory(Counter)
    ignored: list[str] = attrs.Factory(list)

    def summary(self) -> dict[str, Any]:
        """Counts for stats and ``kestrel validate``."""
        return {
            "loaded": len(self.rules),
            "failed": len(self.failures),
            "skipped": dict(self.skipped),
            "ignored_files": len(self.ignored),
        }


class RuleLoader:
    """Offers each path to the rule formats in registration order; the first that claims it
    loads it. A folder no format claims is walked in name order; hidden files are ignored."""

    def __init__(self, registry: ComponentRegistry, **format_options: Any) -> None:
        self.formats = [(c.name, c.factory(**format_options)) for c in registry.all("rule_format")]

    def load(self, paths: Iterable[str | Path]) -> RuleSet:
        """Load every rule under ``paths``; never raises for a bad rule (see ``failures``)."""
        result = RuleSet()
        seen_ids: dict[str, str] = {}
        for path in paths:
            p = Path(path)
            if not p.exists():
                result.failures.append(RuleLoadFailure(str(p), "no such file or directory"))
                continue
            self._load_path(p, result, seen_ids)
        return result

    def _claimant(self, path: Path) -> tuple[str, Any] | None:
        for name, fmt in self.formats:
            if fmt.claims(path):
                return name, fmt
        return None

    def _load_path(self, path: Path, result: RuleSet, seen_ids: dict[str, str]) -> None:
        claim = self._claimant(path)
        if claim is None:
            if path.is_dir():
                for child in sorted(path.iterdir()):
                    if not child.name.startswith("."):
                        self._load_path(child, result, seen_ids)
            else:
                result.ignored.append(str(path))
            return
        _name, fmt = claim
        try:
            rules = fmt.load(path)
        except RuleSkipped as skip:
            result.skipped[skip.reason] += 1
            return
        except KestrelError as exc:
            result.failures.append(RuleLoadFailure(str(path), str(exc)))
            return
        except Exception as exc:  # a format plugin's bug must not stop the other rules
            result.failures.append(
                RuleLoadFailure(str(path), f"internal error in rule format: {exc!r}")
            )
            return
        for rule in rules:
            if rule.id in seen_ids:
                result.failures.append(
                    RuleLoadFailure(
                        str(path), f"duplicate rule id {rule.id!r} (also in {seen_ids[rule.id]})"
                    )
                )
                continue
            seen_ids[rule.id] = str(path)
            result.rules.append(rule)
