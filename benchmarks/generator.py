"""A deterministic, seedable generator of realistic ECS endpoint events.

Events look like Elastic Defend's: process starts and ends with full process trees (entity ids,
parents, command lines, args, hashes), file, network, DNS and registry events, from Windows and
Linux hosts, in time order. A few process names dominate and a long tail follows
(:mod:`benchmarks.catalog`). Attack chains (:mod:`benchmarks.attacks`) are woven into the benign
stream at evenly spread positions, their steps separated by benign events.

The same :class:`GeneratorConfig` always yields the same events, byte for byte::

    gen = Generator(GeneratorConfig(events=10_000, seed=7, attacks=2))
    for event in gen.events():
        ...
    gen.attacks  # what was embedded, with the positions of each step

Records share their ``host`` and ``process.parent`` sub-objects between events: treat them as
read-only (``orjson.dumps`` them, or copy before changing one).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from random import Random
from typing import Any

import attrs
import orjson

from benchmarks import catalog
from benchmarks.attacks import CHAINS, AttackRecord
from benchmarks.entities import Host, Process, Weighted, basename, command_line

Record = dict[str, Any]

#: 2024-05-01T00:00:00Z in epoch milliseconds: where the recording starts.
DEFAULT_START_MS = 1_714_521_600_000
#: The largest number of live processes a host keeps; past it a start becomes an end.
MAX_LIVE = 150
#: Benign events between two steps of an attack chain (inclusive bounds).
CHAIN_GAP = (1, 25)
#: Events per attack chain at least (room for its steps and their gaps).
EVENTS_PER_CHAIN = 300


@attrs.define
class GeneratorConfig:
    """What to generate. ``attacks`` chains alternate web shell and credential dump."""

    events: int = 5_000
    seed: int = 1
    attacks: int = 2
    hosts: int = 12
    windows_share: float = 0.6
    start_ms: int = DEFAULT_START_MS
    mean_gap_ms: float = 2.0


class Generator:
    """Generates one event stream; see the module docstring."""

    def __init__(self, config: GeneratorConfig) -> None:
        if config.events < 0 or config.attacks < 0:
            raise ValueError("events and attacks must be >= 0")
        if config.attacks and config.events < config.attacks * EVENTS_PER_CHAIN:
            raise ValueError(
                f"{config.events} events cannot hold {config.attacks} attack chains: "
                f"give at least {config.attacks * EVENTS_PER_CHAIN} events or fewer attacks"
            )
        self.config = config
        self.rng = Random(config.seed)
        self.attacks: list[AttackRecord] = []
        self._clock_ms = float(config.start_ms)
        self._second = -1
        self._second_text = ""
        self._hashes: dict[str, Record] = {}
        self._win_procs = Weighted([(p, p.weight) for p in catalog.WINDOWS_PROCESSES])
        self._lin_procs = Weighted([(p, p.weight) for p in catalog.LINUX_PROCESSES])
        self._win_files = Weighted(catalog.WINDOWS_FILES)
        self._lin_files = Weighted(catalog.LINUX_FILES)
        self._domains = Weighted(catalog.DOMAINS)
        self._destinations = Weighted(catalog.DESTINATIONS)
        self._ports = Weighted(catalog.PORTS)
        self._registry = Weighted(catalog.REGISTRY_PATHS)
        self._kinds = {
            "windows": Weighted([
                (self._process_start, 28), (self._process_end, 8), (self._file, 25),
                (self._network, 17), (self._dns, 10), (self._registry_change, 12),
            ]),
            "linux": Weighted([
                (self._process_start, 35), (self._process_end, 10), (self._file, 25),
                (self._network, 22), (self._dns, 8),
            ]),
        }
        self.hosts = self._make_hosts()
        # A few busy hosts produce most events (servers, build machines).
        self._host_pick = Weighted([(h, 1.0 / (i + 1) ** 0.8) for i, h in enumerate(self.hosts)])

    # ------------------------------------------------------------------ identities and time

    def new_id(self) -> str:
        """A fresh entity id (24 hex digits, as unique as Elastic Defend's)."""
        return f"{self.rng.getrandbits(96):024x}"

    def timestamp(self) -> str:
        """The current time, ISO-8601 UTC with milliseconds."""
        ms = int(self._clock_ms)
        second, frac = divmod(ms, 1000)
        if second != self._second:
            self._second = second
            self._second_text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._second_text}.{frac:03d}Z"

    def hashes(self, executable: str) -> Record:
        """Stable hashes of an executable (derived from its path, so a binary keeps its hash)."""
        found = self._hashes.get(executable)
        if found is None:
            data = executable.encode()
            found = {
                "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            self._hashes[executable] = found
        return found

    def fill(self, text: str, host: Host, user: str = "", proc: str = "") -> str:
        """Replace the catalog's placeholders in ``text``."""
        if "{" not in text:
            return text
        rng = self.rng
        if "{user}" in text:
            text = text.replace("{user}", user or rng.choice(host.users))
        if "{hex}" in text:
            text = text.replace("{hex}", f"{rng.getrandbits(32):08x}")
        if "{n}" in text:
            text = text.replace("{n}", str(rng.randint(1, 9999)))
        if "{port}" in text:
            text = text.replace("{port}", rng.choice(("8080", "9000", "3000")))
        if "{host}" in text:
            text = text.replace("{host}", f"10.0.{rng.randint(0, 30)}.{rng.randint(2, 250)}")
        if "{pid}" in text:
            text = text.replace("{pid}", str(rng.randint(300, 40000)))
        if "{proc}" in text:
            text = text.replace("{proc}", proc.upper())
        return text

    # ------------------------------------------------------------------ hosts and processes

    def _make_hosts(self) -> list[Host]:
        rng = self.rng
        hosts: list[Host] = []
        for i in range(max(self.config.hosts, 2)):
            if i == 0:
                os, web = "windows", "windows"
            elif i == 1:
                os, web = "linux", "nginx"
            elif i == 2:
                os, web = "linux", "apache2"
            else:
                os = "windows" if rng.random() < self.config.windows_share else "linux"
                web = None
            hosts.append(self._make_host(i, os, web))
        return hosts

    def _make_host(self, index: int, os: str, web: str | None) -> Host:
        rng = self.rng
        if os == "windows":
            name = f"SRV-IIS-{index:02d}" if web else f"WKS-{rng.randint(1000, 9999)}"
            os_ecs = {"type": "windows", "family": "windows", "name": "Windows 10 Pro"}
            users, roots = catalog.WINDOWS_USERS, catalog.WINDOWS_ROOTS
        else:
            name = f"{web or rng.choice(('build', 'db', 'app'))}-{index:02d}"
            os_ecs = {"type": "linux", "family": "ubuntu", "name": "Ubuntu 22.04.4 LTS"}
            users, roots = catalog.LINUX_USERS, catalog.LINUX_ROOTS
        ip = f"10.0.{index // 250}.{index % 250 + 2}"
        host_id = f"{rng.getrandbits(128):032x}"
        ecs = {"id": host_id, "name": name, "hostname": name, "ip": [ip], "os": os_ecs}
        host = Host(ecs=ecs, os=os, ip=ip, users=users, next_pid=400 if os == "windows" else 1)
        for root_name, executable, parent_name in roots:
            parent = host.by_name[parent_name][0] if parent_name else None
            user = "SYSTEM" if os == "windows" else "root"
            self.spawn(host, parent, root_name, executable, [executable], user, root=True)
        if web is not None:
            root_name, executable, parent_name = catalog.WEB_SERVERS[web]
            user = "IIS APPPOOL\\DefaultAppPool" if os == "windows" else "www-data"
            host.web_server = self.spawn(
                host, host.by_name[parent_name][0], root_name, executable, [executable], user,
                root=True,
            )
        return host

    def spawn(
        self,
        host: Host,
        parent: Process | None,
        name: str,
        executable: str,
        args: list[str],
        user: str,
        *,
        original_file_name: str | None = None,
        root: bool = False,
    ) -> Process:
        """Start a process on ``host`` (no event: the caller emits its start if it wants)."""
        host.next_pid += self.rng.randint(1, 40) * (4 if host.os == "windows" else 1)
        entity_id = self.new_id()
        brief = {"entity_id": entity_id, "pid": host.next_pid, "name": name,
                 "executable": executable}
        proc = Process(
            entity_id=entity_id,
            pid=host.next_pid,
            name=name,
            executable=executable,
            args=args,
            command_line=command_line(args, host.os),
            user=user,
            parent=parent,
            original_file_name=original_file_name,
            root=root,
            brief=brief,
        )
        host.live.append(proc)
        host.by_name.setdefault(name, []).append(proc)
        return proc

    def _reap(self, host: Host, proc: Process) -> None:
        host.live.remove(proc)
        host.by_name[proc.name].remove(proc)

    # ------------------------------------------------------------------ records

    def envelope(
        self, host: Host, proc: Process, category: str, types: list[str], action: str
    ) -> Record:
        """The fields every event has: time, event.*, host, the acting process and user."""
        host.sequence += 1
        return {
            "@timestamp": self.timestamp(),
            "event": {
                "kind": "event",
                "category": [category],
                "type": types,
                "action": action,
                "dataset": f"endpoint.events.{category}",
                "sequence": host.sequence,
            },
            "host": host.ecs,
            "agent": {"id": host.ecs["id"], "type": "endpoint"},
            "process": proc.brief,
            "user": {"name": proc.user},
        }

    def process_record(self, host: Host, proc: Process, start: bool = True) -> Record:
        """A process start (or end) event with the full process and parent objects."""
        if start:
            action = "start" if host.os == "windows" else "exec"
            record = self.envelope(host, proc, "process", ["start"], action)
        else:
            record = self.envelope(host, proc, "process", ["end"], "end")
        process: Record = {
            **proc.brief,
            "command_line": proc.command_line,
            "args": proc.args,
            "args_count": len(proc.args),
            "hash": self.hashes(proc.executable),
        }
        if proc.original_file_name:
            process["pe"] = {"original_file_name": proc.original_file_name}
        parent = proc.parent
        if parent is not None:
            process["parent"] = {
                **parent.brief,
                "command_line": parent.command_line,
                "args": parent.args,
                "args_count": len(parent.args),
            }
        record["process"] = process
        return record

    def file_record(self, host: Host, proc: Process, path: str, action: str) -> Record:
        """A file event (``creation``, ``overwrite``/``modification``, ``deletion``)."""
        kind = {"creation": "creation", "deletion": "deletion"}.get(action, "change")
        record = self.envelope(host, proc, "file", [kind], action)
        name = basename(path)
        record["file"] = {
            "path": path,
            "name": name,
            "directory": path[: len(path) - len(name) - 1],
            "extension": name.rsplit(".", 1)[-1] if "." in name else "",
        }
        return record

    def network_record(
        self, host: Host, proc: Process, ip: str, port: int, inbound: bool = False
    ) -> Record:
        """A connection attempted (outbound) or accepted (inbound)."""
        action = "connection_accepted" if inbound else "connection_attempted"
        record = self.envelope(host, proc, "network", ["start"], action)
        ephemeral = self.rng.randint(49152, 65535)
        local = {"ip": host.ip, "port": port if inbound else ephemeral}
        remote = {"ip": ip, "port": ephemeral if inbound else port}
        record["source"] = remote if inbound else local
        record["destination"] = local if inbound else remote
        record["network"] = {
            "transport": "udp" if port in (53, 123) else "tcp",
            "direction": "ingress" if inbound else "egress",
        }
        return record

    # ------------------------------------------------------------------ benign activity

    def _actor(self, host: Host) -> Process:
        return self.rng.choice(host.live)

    def _process_start(self, host: Host) -> Record:
        if len(host.live) > MAX_LIVE:
            return self._process_end(host)
        rng = self.rng
        spec: catalog.ProcSpec = (
            self._win_procs if host.os == "windows" else self._lin_procs
        ).pick(rng)
        parents = [p for name in spec.parents for p in host.by_name.get(name, ())]
        parent = rng.choice(parents) if parents else rng.choice(host.live)
        user = parent.user if rng.random() < 0.8 else rng.choice(host.users)
        args = [self.fill(a, host, user) for a in rng.choice(spec.templates)]
        name, executable = spec.name, spec.executable
        if rng.random() < 0.02:  # the long tail: one-off tools and installers
            tool = f"tool_{rng.getrandbits(24):06x}"
            if host.os == "windows":
                name = f"{tool}.exe"
                executable = f"C:\\Users\\{user}\\AppData\\Local\\Temp\\{name}"
            else:
                name, executable = tool, f"/opt/tools/{tool}"
            args = [executable, *args[1:]]
        proc = self.spawn(
            host, parent, name, executable, args, user,
            original_file_name=spec.original_file_name if name == spec.name else None,
        )
        return self.process_record(host, proc)

    def _process_end(self, host: Host) -> Record:
        candidates = [p for p in host.live[-60:] if not p.root]
        if not candidates:
            return self._file(host)
        proc = self.rng.choice(candidates)
        self._reap(host, proc)
        return self.process_record(host, proc, start=False)

    def _file(self, host: Host) -> Record:
        rng = self.rng
        proc = self._actor(host)
        template = (self._win_files if host.os == "windows" else self._lin_files).pick(rng)
        path = self.fill(template, host, proc.user, proc.name)
        roll = rng.random()
        if roll < 0.55:
            action = "creation"
        elif roll < 0.9:
            action = "overwrite" if host.os == "windows" else "modification"
        else:
            action = "deletion"
        return self.file_record(host, proc, path, action)

    def _network(self, host: Host) -> Record:
        rng = self.rng
        proc = self._actor(host)
        if rng.random() < 0.12:
            return self.network_record(host, proc, self._destinations.pick(rng),
                                       rng.choice((443, 22, 80)), inbound=True)
        return self.network_record(host, proc, self._destinations.pick(rng),
                                   self._ports.pick(rng))

    def _dns(self, host: Host) -> Record:
        proc = self._actor(host)
        record = self.envelope(host, proc, "network", ["protocol", "info"], "lookup_requested")
        record["dns"] = {"question": {"name": self._domains.pick(self.rng), "type": "A"}}
        record["network"] = {"protocol": "dns"}
        return record

    def _registry_change(self, host: Host) -> Record:
        proc = self._actor(host)
        path = self.fill(self._registry.pick(self.rng), host, proc.user)
        record = self.envelope(host, proc, "registry", ["change"], "modification")
        key, _, value = path.rpartition("\\")
        record["registry"] = {
            "path": path,
            "hive": path.split("\\", 1)[0],
            "key": key.split("\\", 1)[-1],
            "value": value,
            "data": {"strings": [f"{self.rng.getrandbits(16)}"]},
        }
        return record

    # ------------------------------------------------------------------ the stream

    def host_for(self, os: str, web: bool = False) -> Host:
        """A host of ``os`` (a web server when ``web``), chosen at random among those."""
        hosts = [h for h in self.hosts if h.os == os and (h.web_server is not None or not web)]
        return self.rng.choice(hosts)

    def _chain_starts(self) -> list[int]:
        n, k = self.config.events, self.config.attacks
        if not k:
            return []
        span = n // k
        return [i * span + self.rng.randint(span // 10, span // 3) for i in range(k)]

    def events(self) -> Iterator[Record]:
        """Every event, in time order; fills :attr:`attacks` as chains are emitted."""
        rng = self.rng
        starts = self._chain_starts()
        active: list[tuple[int, Iterator[Record], AttackRecord]] = []
        gap_lo, gap_hi = CHAIN_GAP
        mean_rate = 1.0 / self.config.mean_gap_ms
        expovariate = rng.expovariate
        next_start = starts.pop(0) if starts else -1
        next_due = -1  # the earliest position an active chain wants, -1: none
        for i in range(self.config.events):
            self._clock_ms += expovariate(mean_rate)
            if i == next_start:
                kind, build = CHAINS[len(self.attacks) % len(CHAINS)]
                attack = AttackRecord(kind=kind)
                self.attacks.append(attack)
                active.append((i, build(self, attack), attack))
                next_start = starts.pop(0) if starts else -1
                next_due = i
            if 0 <= next_due <= i:
                record = self._chain_step(active, i, gap_lo, gap_hi)
                next_due = min(a[0] for a in active) if active else -1
                if record is not None:
                    yield record
                    continue
            host = self._host_pick.pick(rng)
            build_record: Callable[[Host], Record] = self._kinds[host.os].pick(rng)
            yield build_record(host)

    def _chain_step(
        self,
        active: list[tuple[int, Iterator[Record], AttackRecord]],
        i: int,
        gap_lo: int,
        gap_hi: int,
    ) -> Record | None:
        """The next step of the chain due first (``None`` when that chain just finished)."""
        due = min(active, key=lambda a: a[0])
        active.remove(due)
        _, steps, attack = due
        record = next(steps, None)
        if record is None:
            attack.complete = True
            return None
        attack.positions.append(i)
        active.append((i + self.rng.randint(gap_lo, gap_hi), steps, attack))
        return record


def write_ndjson(path: str | Path, config: GeneratorConfig) -> Generator:
    """Write the events of ``config`` to ``path`` as NDJSON; return the finished generator."""
    gen = Generator(config)
    dumps = orjson.dumps
    chunk: list[bytes] = []
    with Path(path).open("wb") as out:
        for record in gen.events():
            chunk.append(dumps(record))
            if len(chunk) >= 4096:
                out.write(b"\n".join(chunk) + b"\n")
                chunk = []
        if chunk:
            out.write(b"\n".join(chunk) + b"\n")
    return gen
