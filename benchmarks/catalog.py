"""What benign endpoint activity looks like: processes, files, hosts, domains, registry keys.

The weights follow the shape of real endpoint telemetry: a handful of process names (svchost,
browsers, conhost, bash, systemd helpers) make up most process starts, then a long tail. Command
line templates are argument tuples; the :data:`PLACEHOLDERS` in them are replaced by the generator
(plain text replacement, so other braces stay: ``{{hex}}`` becomes a braced GUID-like value).
"""

from __future__ import annotations

import attrs

#: Placeholders a command-line template may use, and what the generator puts there.
PLACEHOLDERS = ("{user}", "{hex}", "{n}", "{port}", "{host}", "{pid}", "{proc}")


@attrs.frozen
class ProcSpec:
    """A kind of process: name, path, how often it starts, who starts it, how it is invoked."""

    name: str
    executable: str
    weight: float
    parents: tuple[str, ...]
    templates: tuple[tuple[str, ...], ...]
    original_file_name: str | None = None


def _win(
    name: str,
    directory: str,
    weight: float,
    parents: tuple[str, ...],
    *templates: tuple[str, ...],
) -> ProcSpec:
    exe = f"{directory}\\{name}"
    return ProcSpec(name, exe, weight, parents, templates or ((exe,),), name.upper())


def _lin(
    name: str,
    directory: str,
    weight: float,
    parents: tuple[str, ...],
    *templates: tuple[str, ...],
) -> ProcSpec:
    exe = f"{directory}/{name}"
    return ProcSpec(name, exe, weight, parents, templates or ((exe,),))


SYS32 = "C:\\Windows\\System32"
CHROME = "C:\\Program Files\\Google\\Chrome\\Application"
EDGE = "C:\\Program Files (x86)\\Microsoft\\Edge\\Application"
OFFICE = "C:\\Program Files\\Microsoft Office\\root\\Office16"

WINDOWS_PROCESSES: tuple[ProcSpec, ...] = (
    _win("svchost.exe", SYS32, 30, ("services.exe",),
         ("svchost.exe", "-k", "netsvcs", "-p", "-s", "Schedule"),
         ("svchost.exe", "-k", "LocalServiceNetworkRestricted", "-p"),
         ("svchost.exe", "-k", "wsappx", "-p", "-s", "AppXSvc")),
    _win("chrome.exe", CHROME, 22, ("explorer.exe", "chrome.exe"),
         (f"{CHROME}\\chrome.exe", "--type=renderer", "--lang=en-US", "--renderer-client-id={n}"),
         (f"{CHROME}\\chrome.exe", "--type=utility", "--utility-sub-type=network.mojom"),
         (f"{CHROME}\\chrome.exe", "--type=gpu-process", "--field-trial-handle={hex}")),
    _win("conhost.exe", SYS32, 14, ("cmd.exe", "powershell.exe", "svchost.exe"),
         ("\\??\\C:\\Windows\\system32\\conhost.exe", "0xffffffff", "-ForceV1")),
    _win("msedge.exe", EDGE, 9, ("explorer.exe", "msedge.exe"),
         (f"{EDGE}\\msedge.exe", "--type=renderer", "--renderer-client-id={n}")),
    _win("RuntimeBroker.exe", SYS32, 6, ("svchost.exe",),
         ("C:\\Windows\\System32\\RuntimeBroker.exe", "-Embedding")),
    _win("backgroundTaskHost.exe", SYS32, 5, ("svchost.exe",),
         ("backgroundTaskHost.exe", "-ServerName:BackgroundTaskHost.WebAccountProvider")),
    _win("dllhost.exe", SYS32, 4, ("svchost.exe",),
         ("C:\\Windows\\system32\\DllHost.exe", "/Processid:{{hex}}")),
    _win("taskhostw.exe", SYS32, 3, ("svchost.exe",), ("taskhostw.exe", "-RegisterDevice")),
    _win("SearchProtocolHost.exe", SYS32, 3, ("SearchIndexer.exe",),
         ("C:\\Windows\\system32\\SearchProtocolHost.exe", "Global\\UsGthrFltPipeMssGthrPipe{n}")),
    _win("WmiPrvSE.exe", "C:\\Windows\\System32\\wbem", 2.5, ("svchost.exe",),
         ("C:\\Windows\\system32\\wbem\\wmiprvse.exe", "-secured", "-Embedding")),
    _win("cmd.exe", SYS32, 2.5, ("explorer.exe", "svchost.exe", "Code.exe"),
         ("C:\\Windows\\system32\\cmd.exe", "/c", "echo", "{hex}"),
         ("C:\\Windows\\system32\\cmd.exe", "/c", "C:\\ProgramData\\Backup\\nightly.bat"),
         ("C:\\Windows\\system32\\cmd.exe",)),
    _win("powershell.exe", f"{SYS32}\\WindowsPowerShell\\v1.0", 2, ("explorer.exe", "svchost.exe"),
         ("powershell.exe", "-NoProfile", "-ExecutionPolicy", "Bypass", "-File",
          "C:\\ProgramData\\Management\\inventory.ps1"),
         ("powershell.exe", "-NoLogo", "Get-Service", "|", "Out-File", "C:\\Temp\\svc-{n}.txt")),
    _win("OUTLOOK.EXE", OFFICE, 1.5, ("explorer.exe",), (f"{OFFICE}\\OUTLOOK.EXE",)),
    _win("WINWORD.EXE", OFFICE, 1.2, ("explorer.exe", "OUTLOOK.EXE"),
         (f"{OFFICE}\\WINWORD.EXE", "/n", "C:\\Users\\{user}\\Documents\\report-{n}.docx")),
    _win("Teams.exe", "C:\\Users\\Public\\AppData\\Local\\Microsoft\\Teams\\current", 1.2,
         ("explorer.exe", "Teams.exe"), ("Teams.exe", "--type=renderer", "--channel=stable")),
    _win("OneDrive.exe", "C:\\Program Files\\Microsoft OneDrive", 1.0, ("explorer.exe",),
         ("OneDrive.exe", "/background")),
    _win("MsMpEng.exe", "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform", 0.8,
         ("services.exe",)),
    _win("git.exe", "C:\\Program Files\\Git\\cmd", 0.8, ("Code.exe", "cmd.exe"),
         ("git.exe", "status", "--porcelain"), ("git.exe", "fetch", "origin")),
    _win("Code.exe", "C:\\Users\\Public\\AppData\\Local\\Programs\\Microsoft VS Code", 0.7,
         ("explorer.exe", "Code.exe"), ("Code.exe", "--type=utility")),
    _win("python.exe", "C:\\Python311", 0.6, ("cmd.exe", "Code.exe"),
         ("python.exe", "-m", "pytest", "-q"), ("python.exe", "C:\\Tools\\sync.py", "--once")),
    _win("notepad.exe", SYS32, 0.5, ("explorer.exe",),
         ("notepad.exe", "C:\\Users\\{user}\\Desktop\\notes-{n}.txt")),
    _win("msiexec.exe", SYS32, 0.4, ("services.exe", "explorer.exe"),
         ("C:\\Windows\\system32\\msiexec.exe", "/V")),
    _win("sc.exe", SYS32, 0.3, ("cmd.exe", "powershell.exe"), ("sc.exe", "query", "wuauserv")),
    _win("reg.exe", SYS32, 0.2, ("cmd.exe",),
         ("reg.exe", "query", "HKLM\\Software\\Microsoft\\Windows\\CurrentVersion")),
    _win("net.exe", SYS32, 0.2, ("cmd.exe", "powershell.exe"), ("net.exe", "use")),
    _win("whoami.exe", SYS32, 0.15, ("cmd.exe", "powershell.exe"), ("whoami.exe", "/all")),
    _win("tasklist.exe", SYS32, 0.15, ("cmd.exe",), ("tasklist.exe", "/svc")),
    _win("schtasks.exe", SYS32, 0.1, ("cmd.exe", "svchost.exe"),
         ("schtasks.exe", "/query", "/fo", "LIST")),
    _win("rundll32.exe", SYS32, 0.1, ("svchost.exe", "explorer.exe"),
         ("rundll32.exe", "C:\\Windows\\system32\\shell32.dll,SHCreateLocalServerRunDll",
          "{{hex}}", "-Embedding")),
)

WINDOWS_ROOTS: tuple[tuple[str, str, str], ...] = (
    # (name, executable, parent name): alive before the recording starts, never emitted.
    ("services.exe", f"{SYS32}\\services.exe", ""),
    ("lsass.exe", f"{SYS32}\\lsass.exe", ""),
    ("explorer.exe", "C:\\Windows\\explorer.exe", ""),
    ("SearchIndexer.exe", f"{SYS32}\\SearchIndexer.exe", "services.exe"),
    ("svchost.exe", f"{SYS32}\\svchost.exe", "services.exe"),
    ("cmd.exe", f"{SYS32}\\cmd.exe", "explorer.exe"),
)

LINUX_PROCESSES: tuple[ProcSpec, ...] = (
    _lin("bash", "/usr/bin", 18, ("sshd", "bash", "tmux: server", "cron"),
         ("bash",), ("/bin/bash", "-c", "test -x /usr/sbin/anacron"), ("bash", "--login")),
    _lin("sh", "/usr/bin", 12, ("cron", "bash", "systemd", "python3", "node"),
         ("/bin/sh", "-c", "run-parts --report /etc/cron.hourly"),
         ("/bin/sh", "/usr/lib/update-notifier/update-motd-fsck-at-reboot"),
         ("sh", "-c", "uname -a")),
    _lin("grep", "/usr/bin", 9, ("bash", "sh"), ("grep", "-r", "ERROR", "/var/log/app"),
         ("grep", "-c", "processor", "/proc/cpuinfo")),
    _lin("cat", "/usr/bin", 8, ("bash", "sh"), ("cat", "/etc/os-release"),
         ("cat", "/proc/{pid}/status")),
    _lin("python3", "/usr/bin", 6, ("bash", "systemd", "cron"),
         ("python3", "/opt/app/worker.py", "--queue", "jobs-{n}"),
         ("/usr/bin/python3", "/usr/bin/networkd-dispatcher", "--run-startup-triggers")),
    _lin("ls", "/usr/bin", 6, ("bash",), ("ls", "-la", "/home/{user}"), ("ls", "/var/log")),
    _lin("ps", "/usr/bin", 4, ("bash", "sh"), ("ps", "aux"), ("ps", "-ef")),
    _lin("awk", "/usr/bin", 4, ("sh", "bash"), ("awk", "{print $1}", "/var/log/nginx/access.log")),
    _lin("sed", "/usr/bin", 3, ("sh", "bash"), ("sed", "-n", "1,{n}p", "/etc/passwd")),
    _lin("systemctl", "/usr/bin", 3, ("bash", "sh", "systemd"),
         ("systemctl", "is-active", "nginx"), ("systemctl", "status", "cron")),
    _lin("node", "/usr/bin", 2.5, ("bash", "systemd"), ("node", "/srv/api/server.js")),
    _lin("java", "/usr/lib/jvm/java-17-openjdk-amd64/bin", 2, ("systemd", "bash"),
         ("java", "-Xmx2g", "-jar", "/opt/kafka/libs/kafka.jar")),
    _lin("git", "/usr/bin", 2, ("bash",), ("git", "pull", "--ff-only"), ("git", "status")),
    _lin("curl", "/usr/bin", 1.5, ("sh", "bash", "cron"),
         ("curl", "-fsS", "http://localhost:{port}/healthz"),
         ("curl", "-s", "https://api.github.com/repos/elastic/eql/releases/latest")),
    _lin("docker", "/usr/bin", 1.5, ("bash", "systemd"), ("docker", "ps", "--format", "json")),
    _lin("containerd-shim-runc-v2", "/usr/bin", 1.2, ("systemd",),
         ("/usr/bin/containerd-shim-runc-v2", "-namespace", "moby", "-id", "{hex}")),
    _lin("sudo", "/usr/bin", 1.2, ("bash",), ("sudo", "apt-get", "update"),
         ("sudo", "-u", "postgres", "psql")),
    _lin("apt-get", "/usr/bin", 0.6, ("sudo", "sh"), ("apt-get", "update")),
    _lin("dpkg", "/usr/bin", 0.5, ("apt-get", "sh"), ("dpkg", "--status", "openssl")),
    _lin("tar", "/usr/bin", 0.6, ("bash", "sh"), ("tar", "-czf", "/backup/home-{n}.tgz", "/home")),
    _lin("gzip", "/usr/bin", 0.5, ("tar", "sh"), ("gzip", "-9")),
    _lin("rsync", "/usr/bin", 0.5, ("sh", "cron"), ("rsync", "-a", "/srv/", "backup:/srv/")),
    _lin("ssh", "/usr/bin", 0.5, ("bash", "rsync"), ("ssh", "{user}@{host}")),
    _lin("crontab", "/usr/bin", 0.1, ("bash",), ("crontab", "-l")),
    _lin("id", "/usr/bin", 0.3, ("bash", "sh"), ("id", "-u")),
    _lin("uname", "/usr/bin", 0.3, ("sh", "bash"), ("uname", "-a")),
    _lin("wget", "/usr/bin", 0.2, ("sh", "bash"),
         ("wget", "-q", "https://deb.debian.org/debian/dists/stable/Release")),
)

LINUX_ROOTS: tuple[tuple[str, str, str], ...] = (
    ("systemd", "/usr/lib/systemd/systemd", ""),
    ("sshd", "/usr/sbin/sshd", "systemd"),
    ("cron", "/usr/sbin/cron", "systemd"),
    ("tmux: server", "/usr/bin/tmux", "systemd"),
    ("bash", "/usr/bin/bash", "sshd"),
)

#: Web servers: a web-facing host runs one from the start.
WEB_SERVERS: dict[str, tuple[str, str, str]] = {
    "windows": ("w3wp.exe", "C:\\Windows\\System32\\inetsrv\\w3wp.exe", "svchost.exe"),
    "nginx": ("nginx", "/usr/sbin/nginx", "systemd"),
    "apache2": ("apache2", "/usr/sbin/apache2", "systemd"),
}

WINDOWS_USERS = ("alice", "bob", "carol", "dave", "erin", "SYSTEM", "NETWORK SERVICE")
LINUX_USERS = ("root", "ubuntu", "deploy", "www-data", "postgres", "alice", "bob")

WINDOWS_FILES: tuple[tuple[str, float], ...] = (
    ("C:\\Users\\{user}\\AppData\\Local\\Google\\Chrome\\User Data\\Default\\Cache\\f_{hex}", 30),
    ("C:\\Users\\{user}\\AppData\\Local\\Temp\\tmp{hex}.tmp", 20),
    ("C:\\Windows\\Prefetch\\{proc}-{hex}.pf", 10),
    ("C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\History\\{hex}.bin", 6),
    ("C:\\Users\\{user}\\Documents\\report-{n}.docx", 5),
    ("C:\\Windows\\Temp\\{hex}.log", 4),
    ("C:\\Users\\{user}\\Downloads\\setup-{n}.msi", 1),
    ("C:\\Windows\\System32\\LogFiles\\WMI\\RtBackup\\EtwRT.{n}.etl", 2),
)

LINUX_FILES: tuple[tuple[str, float], ...] = (
    ("/var/log/app/worker-{n}.log", 20),
    ("/tmp/tmp{hex}", 18),
    ("/home/{user}/.cache/pip/http/{hex}", 10),
    ("/var/lib/docker/overlay2/{hex}/diff/etc/hosts", 6),
    ("/var/cache/apt/archives/partial/pkg-{n}.deb", 3),
    ("/home/{user}/.bash_history", 3),
    ("/etc/cron.d/job-{n}", 0.2),
)

DOMAINS: tuple[tuple[str, float], ...] = (
    ("www.google.com", 20), ("login.microsoftonline.com", 14), ("outlook.office365.com", 10),
    ("github.com", 8), ("api.github.com", 5), ("slack.com", 5), ("teams.microsoft.com", 5),
    ("update.googleapis.com", 4), ("settings-win.data.microsoft.com", 4),
    ("deb.debian.org", 3), ("archive.ubuntu.com", 3), ("pypi.org", 2),
    ("registry-1.docker.io", 2), ("s3.amazonaws.com", 2), ("ocsp.digicert.com", 2),
    ("time.windows.com", 1), ("ntp.ubuntu.com", 1),
)

DESTINATIONS: tuple[tuple[str, float], ...] = (
    ("142.250.185.78", 18), ("20.190.159.2", 12), ("52.96.166.130", 10), ("140.82.121.4", 8),
    ("10.0.0.2", 10), ("10.0.0.10", 8), ("10.0.12.40", 6), ("172.16.4.21", 4),
    ("151.101.1.69", 4), ("13.107.42.14", 4), ("34.120.208.123", 3), ("192.168.1.1", 2),
)

PORTS: tuple[tuple[int, float], ...] = (
    (443, 60), (80, 12), (53, 10), (22, 4), (445, 3), (389, 2), (8080, 2), (3389, 1),
    (5432, 1), (9092, 1), (123, 1),
)

REGISTRY_PATHS: tuple[tuple[str, float], ...] = (
    ("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\{n}", 12),
    ("HKU\\S-1-5-21-{n}\\Software\\Microsoft\\Office\\16.0\\Common\\Roaming\\{hex}", 8),
    ("HKLM\\SYSTEM\\ControlSet001\\Services\\bam\\State\\UserSettings\\{hex}", 8),
    ("HKLM\\SOFTWARE\\Microsoft\\Windows Defender\\Signature Updates\\ASSignatureVersion", 4),
    ("HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\OneDrive", 0.5),
)
