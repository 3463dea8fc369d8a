"""The rule sets the scenarios run, as EQL text (each engine compiles them its own way).

* ``one``: one event rule (the web shell's download step).
* ``100``: the first 100 Elastic rules (in file order) that Kestrel compiles.
* ``elastic``: every non-deprecated rule of ``elastic_eql_rules.jsonl``.
* ``sequences``: the Elastic sequence rules, the attack-chain sequences of this harness, and
  generated two-step sequences whose first step matches common processes, so many partial
  sequences are pending at any time.

The corpus is read in place (``../shared/corpus`` from the repository root, or ``--corpus`` /
``KESTREL_CORPUS_DIR``); it is never copied into the project.
"""

from __future__ import annotations

import os
from pathlib import Path

import attrs
import orjson

from benchmarks import catalog

ROOT = Path(__file__).resolve().parent.parent
ELASTIC_FILE = "rules/elastic_eql_rules.jsonl"
RULESETS = ("one", "100", "elastic", "sequences")
#: How many rules the ``100`` set keeps.
HUNDRED = 100
#: How many generated sequence rules the ``sequences`` set adds.
GENERATED_SEQUENCES = 200


@attrs.frozen
class RuleText:
    """A rule before compilation: id, name, EQL text and where it came from."""

    id: str
    name: str
    query: str
    origin: str = "elastic"

    @property
    def is_sequence(self) -> bool:
        """Whether the query is a ``sequence`` (or ``sample``)."""
        head = self.query.lstrip().split(None, 1)[0].lower() if self.query.strip() else ""
        return head in ("sequence", "sample")


def corpus_dir(override: str | None = None) -> Path:
    """The shared corpus: ``override``, else ``$KESTREL_CORPUS_DIR``, else ``../shared/corpus``."""
    chosen = override or os.environ.get("KESTREL_CORPUS_DIR")
    return Path(chosen) if chosen else ROOT.parent / "shared" / "corpus"


def elastic_rules(corpus: Path) -> list[RuleText]:
    """Every rule of the Elastic corpus file not marked ``deprecated: true``, in file order."""
    path = corpus / ELASTIC_FILE
    if not path.exists():
        raise FileNotFoundError(
            f"{path} not found: pass --corpus or set KESTREL_CORPUS_DIR to the shared corpus folder"
        )
    rules = []
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        row = orjson.loads(line)
        if row.get("deprecated"):
            continue
        rules.append(RuleText(row["rule_id"], row["name"], row["query"]))
    return rules


_WEB_SERVERS = '("w3wp.exe", "nginx", "apache2", "httpd")'
_SHELLS = '("cmd.exe", "sh", "bash", "dash", "powershell.exe")'
_DOWNLOADERS = '("curl", "wget", "certutil.exe", "powershell.exe")'

#: Rules written for the attack chains the generator embeds (benchmarks.attacks).
ATTACK_RULES: tuple[RuleText, ...] = (
    RuleText(
        "bench-download-tool",
        "Download utility fetching over HTTP",
        'process where event.type == "start" and process.name in~ ' + _DOWNLOADERS
        + ' and process.command_line : ("*urlcache*", "*Invoke-WebRequest*", "*http://*")',
        "attack",
    ),
    RuleText(
        "bench-webshell-download-run",
        "Web server shell downloads and runs a binary",
        "sequence by host.id with maxspan=1m\n"
        f'  [process where event.type == "start" and process.parent.name in~ {_WEB_SERVERS}'
        f" and process.name in~ {_SHELLS}] by process.entity_id\n"
        f'  [process where event.type == "start" and process.name in~ {_DOWNLOADERS}]'
        " by process.parent.entity_id\n"
        '  [process where event.type == "start"] by process.parent.entity_id',
        "attack",
    ),
    RuleText(
        "bench-dropped-binary-beacon",
        "Binary run from a temporary folder connects out",
        "sequence by host.id, process.entity_id with maxspan=1m\n"
        '  [process where event.type == "start" and process.executable : '
        '("C:\\\\Windows\\\\Temp\\\\*", "/tmp/*", "C:\\\\Users\\\\Public\\\\*")]\n'
        '  [network where event.action == "connection_attempted"]',
        "attack",
    ),
    RuleText(
        "bench-lsass-dump",
        "LSASS memory dumped to a file",
        "sequence by host.id, process.entity_id with maxspan=1m\n"
        '  [process where event.type == "start" and process.command_line : "*lsass*" and\n'
        '    (process.pe.original_file_name : "procdump" or\n'
        '     process.command_line : "*comsvcs*MiniDump*")]\n'
        '  [file where event.type == "creation" and file.extension : "dmp"]',
        "attack",
    ),
)


def generated_sequences(count: int = GENERATED_SEQUENCES) -> list[RuleText]:
    """Two-step sequences over common process names: a start, then a file/network/DNS event by
    the same process. Deterministic; most first steps match often, so partials pile up."""
    names = [p.name for p in (*catalog.WINDOWS_PROCESSES, *catalog.LINUX_PROCESSES)]
    follow_ups = (
        'file where event.type == "creation" and file.extension : ("exe", "dll", "ps1", "sh")',
        "network where destination.port in (4444, 8443, 1337)",
        'network where dns.question.name : ("*.onion", "*.top", "pastebin.com")',
        'file where event.type == "deletion" and file.path : ("*\\\\Prefetch\\\\*", "/var/log/*")',
    )
    rules = []
    for i in range(count):
        name = names[i % len(names)]
        follow = follow_ups[(i // len(names)) % len(follow_ups)]
        span = ("30s", "1m", "5m", "10m")[i % 4]
        rules.append(RuleText(
            f"bench-seq-{i:03d}",
            f"Generated sequence {i}: {name} then {follow.split()[0]}",
            f"sequence by host.id, process.entity_id with maxspan={span}\n"
            f'  [process where event.type == "start" and process.name == "{name}"]\n'
            f"  [{follow}]",
            "generated",
        ))
    return rules


def load_ruleset(name: str, corpus: Path) -> list[RuleText]:
    """The candidate rules of a set, before compilation (``100`` is cut after compiling)."""
    if name == "one":
        return [ATTACK_RULES[0]]
    if name in ("100", "elastic"):
        return elastic_rules(corpus)
    if name == "sequences":
        elastic = [r for r in elastic_rules(corpus) if r.is_sequence]
        return [*elastic, *ATTACK_RULES[1:], *generated_sequences()]
    raise ValueError(f"unknown rule set {name!r}; expected one of {', '.join(RULESETS)}")


def keep_limit(name: str) -> int | None:
    """How many compiled rules a set keeps (``None``: all)."""
    return HUNDRED if name == "100" else None
