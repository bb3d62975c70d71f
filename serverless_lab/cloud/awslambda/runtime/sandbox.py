"""Containment of handler code: the zygote runs inside bubblewrap, each worker in a view of its own.

Handlers are code the lab did not write (imported folders, learners' edits), so where
bubblewrap (`bwrap`, Debian's `bubblewrap`, the sandbox Flatpak uses) is installed the zygote
is started inside it, once (`bwrap_command`), and every worker forked from it narrows its view
further before any handler code runs (`enter_worker`). The sandbox is built once, in the
pre-warmed parent: a cold start pays only a few mount calls, not a new sandbox.

What the zygote sees (all read-only): the system's /usr and the few files of /etc a Python
program needs (CA certificates, resolv.conf, hosts, passwd, localtime), the Python runtime
(the base interpreter at its own path, the virtualenv's site-packages as /var/lang), this
runtime package as /var/runtime/lab_runtime, the lab's unpacked function code as
/lab/functions and the public files workers need (the lab's CA certificate) as /lab/share.
Nothing else of the host: not the repository, the database, the lab's data directory (its
control token, TLS keys, builds, other state), nor anyone's home. It has its own PID, IPC and
UTS namespaces; a private, empty /tmp; it dies with the lab.

Each worker, right after the fork, takes a mount namespace of its own (os.unshare), binds its
function's code, and only that, read-only at /var/task (its layers, merged, read-only at
/opt), as on AWS, mounts a fresh 512 MB
tmpfs on /tmp (AWS's default ephemeral storage; nobody else's), then unmounts /lab/functions
(in user mode, where bubblewrap's mounts are locked, covers it with an empty read-only tmpfs),
so other functions' code and other learners' builds are gone from its view, and drops every
capability (bounding set included; bubblewrap already set no_new_privs and nosuid).
Mounting per worker was chosen over shipping the code to the worker: a build with
its requirements is tens of megabytes that would be copied at every cold start, and a private
/tmp needs a mount namespace per worker anyway.

Who the handler runs as: when the lab runs as root (a class server, CI) every worker gets a
uid of its own (`worker_uid`: a block of uids per running zygote, claimed with a lock file,
plus the worker's pid), so workers cannot signal or inspect each other,
RLIMIT_NPROC caps each worker's processes and threads (functions.worker_limits: a fork bomb
stops there), and the worker freezes its stray processes between invocations (SIGSTOP, as
AWS freezes an environment) and the lab kills them with it. When the lab runs as a normal
user, bubblewrap makes a user namespace: workers run as that user (mapped), with no
capabilities; they cannot undo the mounts (the kernel locks mounts inherited from a more
privileged namespace), but they share one uid, so there is no per-worker process limit and a
worker could signal another's processes (not read them: workers are not dumpable).

What a handler still sees: the names of the host paths bound in (/proc/self/mountinfo), the
virtualenv's packages (the app's dependencies: public code), this runtime's source, the
system's /usr, and its own copy of the zygote's memory (the zygote holds no secret: its
warm-up uses keys no one issued, passed over its control socket, never on a command line).

Network: workers keep the host's network. Handlers must reach the lab cloud's AWS endpoint
and the WebSocket @connections HTTPS port; anything else listening on the host is reachable
too: the control API (refused without the lab's control token), the web app's port (what any
visitor can reach), any other local service, and the internet. A class host who needs more
should firewall the machine.

Where bubblewrap is absent (macOS, a laptop without it) the lab logs once that handlers run
uncontained and keeps the plain fork. LAB_CONTAINMENT=off forces that; LAB_CONTAINMENT=require
refuses to start the runtime without bubblewrap (a class server should set it).
"""

import ctypes
import logging
import os
import re
import shutil
import signal
import sys
from pathlib import Path

logger = logging.getLogger(__name__)

MODES = ("auto", "off", "require")
RUNTIME_DIR = "/var/runtime"  # this package is bound at RUNTIME_DIR/PACKAGE
PACKAGE = "lab_runtime"
LANG_DIR = "/var/lang"  # the virtualenv (its site-packages)
CODE_STORE = "/lab/functions"  # every function's unpacked code: the zygote's view only
SHARE_DIR = "/lab/share"  # public files for workers (the lab's CA certificate)
TASK_ROOT = "/var/task"  # a worker's own function code
OPT_ROOT = "/opt"  # a worker's function's layers, as Lambda mounts them
TMP_SIZE = "512m"  # AWS's default ephemeral storage
# Root mode: each zygote claims a block of uids (one per possible pid) above any real user's.
WORKER_UID_BASE = 1 << 24
UID_BLOCK_SIZE = 1 << 22  # the kernel's largest pid_max
UID_BLOCKS = 1000
ENV_UID_BLOCK = "LAB_UID_BLOCK"
ETC_FILES = ("ssl", "ca-certificates", "resolv.conf", "hosts", "nsswitch.conf", "passwd",
             "group", "localtime", "mime.types", "host.conf", "gai.conf", "ld.so.cache")
ENV_MODE = "LAB_SANDBOX"  # set for the zygote: "root" or "user"


class ContainmentUnavailable(RuntimeError):
    """LAB_CONTAINMENT=require, and bubblewrap is not there."""


def containment_mode() -> str:
    mode = os.environ.get("LAB_CONTAINMENT", "auto").strip().lower() or "auto"
    if mode not in MODES:
        raise ValueError(f"LAB_CONTAINMENT must be one of {', '.join(MODES)}, not {mode!r}")
    return mode


_warned = False


def bwrap_path() -> str | None:
    """bubblewrap, if the lab should and can contain handlers with it; logs once if not."""
    global _warned
    mode = containment_mode()
    found = shutil.which("bwrap") if sys.platform == "linux" else None
    if mode == "require" and not found:
        raise ContainmentUnavailable(
            "LAB_CONTAINMENT=require, but bubblewrap (bwrap) is not installed: "
            "apt-get install bubblewrap")
    if mode == "off" or not found:
        if not _warned:
            _warned = True
            why = "LAB_CONTAINMENT=off" if mode == "off" else "bubblewrap (bwrap) is not installed"
            logger.warning("Lambda handlers run uncontained (%s): they can read and write "
                           "whatever this user can. Fine for one person on their own machine, "
                           "not for a class.", why)
        return None
    return found


def _system_binds() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ETC_FILES:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    return args


def _python_binds() -> tuple[list[str], str]:
    """Binds for the interpreter and its packages, and the interpreter's path inside."""
    args = []
    base = Path(sys.base_prefix).resolve()
    if not str(base).startswith("/usr/"):
        args += ["--ro-bind", str(base), str(base)]
    if sys.prefix != sys.base_prefix:  # a virtualenv: its site-packages as /var/lang
        args += ["--ro-bind", sys.prefix, LANG_DIR]
        return args, f"{LANG_DIR}/bin/{Path(sys.executable).name}"
    return args, sys.executable


def _parent_dirs(binds: list[str]) -> list[str]:
    """The folders above each bind's destination, traversable by workers' uids (bubblewrap
    makes missing ones mode 0700)."""
    parents: list[str] = []
    for i, arg in enumerate(binds):
        if arg in ("--ro-bind", "--ro-bind-try", "--symlink"):
            for parent in reversed(Path(binds[i + 2]).parents[:-1]):
                if str(parent) not in parents:
                    parents.append(str(parent))
    return [arg for parent in parents for arg in ("--perms", "0755", "--dir", parent)]


def bwrap_command(bwrap: str, *, functions_dir: Path, share_dir: Path,
                  zygote_args: list[str]) -> tuple[list[str], str]:
    """The command that starts the zygote inside bubblewrap, and the sandbox's mode."""
    root = os.geteuid() == 0
    python_binds, python = _python_binds()
    package = Path(__file__).resolve().parent
    binds = [*_system_binds(), *python_binds,
             "--ro-bind", str(package), f"{RUNTIME_DIR}/{PACKAGE}",
             "--ro-bind", str(functions_dir), CODE_STORE,
             "--ro-bind", str(share_dir), SHARE_DIR]
    command = [
        bwrap, "--die-with-parent", "--new-session",
        "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
        *_parent_dirs(binds), *binds,
        "--proc", "/proc", "--dev", "/dev", "--dir", "/tmp", "--dir", TASK_ROOT,
        "--dir", OPT_ROOT,
        "--chdir", "/", "--cap-drop", "ALL",
    ]
    # What the zygote needs to build each worker's view (and, as root, switch its uid).
    caps = ("SYS_ADMIN", "SETPCAP", *(("SETUID", "SETGID", "KILL") if root else ()))
    if not root:
        command.append("--unshare-user")
    for cap in caps:
        command += ["--cap-add", f"CAP_{cap}"]
    mode = "root" if root else "user"
    command += ["--setenv", ENV_MODE, mode, "--setenv", "PYTHONPATH", RUNTIME_DIR,
                python, "-m", f"{PACKAGE}.zygote", *zygote_args]
    return command, mode


# -- inside the sandbox: the zygote's child becomes a worker -----------------------------

MS_RDONLY, MS_NOSUID, MS_NODEV = 1, 2, 4
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_CAPBSET_DROP, PR_SET_DUMPABLE = 24, 4
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


_libc = None
_cap_last = 0


def prepare() -> None:
    """In the zygote, once: what every worker's enter_worker needs, loaded ahead."""
    global _libc, _cap_last
    _libc = ctypes.CDLL(None, use_errno=True)
    _cap_last = int(Path("/proc/sys/kernel/cap_last_cap").read_text())


def _call(name: str, *args) -> None:
    if _libc is None:
        prepare()
    if getattr(_libc, name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}{args[:2]}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def encode(value):
        return value.encode() if value is not None else None

    _call("mount", encode(source), encode(target), encode(fstype), ctypes.c_ulong(flags),
          encode(data))


def worker_uid(pid: int, block: int | None = None) -> int:
    """The uid of worker pid (a pid of the sandbox's) of the zygote that claimed `block`."""
    if block is None:
        block = int(os.environ[ENV_UID_BLOCK])
    return WORKER_UID_BASE + block * UID_BLOCK_SIZE + pid


def uid_block_claim() -> tuple[int, object]:
    """A block of worker uids no other running lab uses (several run at once: `lab bench`
    inside `lab serve`, test sessions) and the open lock file that holds it: keep it open
    for as long as the zygote lives."""
    import fcntl
    import tempfile

    folder = Path(tempfile.gettempdir()) / "serverless-lab-uid-blocks"
    folder.mkdir(mode=0o700, exist_ok=True)
    start = os.getpid() % UID_BLOCKS
    for offset in range(UID_BLOCKS):
        block = (start + offset) % UID_BLOCKS
        lock = open(folder / f"{block}.lock", "w")  # noqa: SIM115 - held open on purpose
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        return block, lock
    raise ContainmentUnavailable(f"all {UID_BLOCKS} blocks of worker uids are in use")


def enter_worker(*, code: str, mode: str, layers: str = "") -> None:
    """Narrow this freshly forked worker's view to its own code (and its layers at /opt) and
    /tmp, then give up every privilege. Runs before the worker reads anything from the lab
    but its fork request."""
    for digest in (code, *((layers,) if layers else ())):
        if not re.fullmatch(r"[0-9a-f]{64}", digest):
            raise ValueError(f"not a code hash: {digest!r}")
    os.unshare(os.CLONE_NEWNS)
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    _mount(f"{CODE_STORE}/{code}", TASK_ROOT, None, MS_BIND | MS_REC)
    _mount(None, TASK_ROOT, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    if layers:
        _mount(f"{CODE_STORE}/{layers}", OPT_ROOT, None, MS_BIND | MS_REC)
        _mount(None, OPT_ROOT, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMP_SIZE},mode=1777")
    try:
        _call("umount2", CODE_STORE.encode(), MNT_DETACH)
    except OSError:  # user mode: bubblewrap's mounts are locked; cover it with an empty one
        _mount("tmpfs", CODE_STORE, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=755")
    _drop_privileges(mode)


def _drop_privileges(mode: str) -> None:
    for cap in range(_cap_last + 1):  # nothing can be regained, even through execve
        _call("prctl", PR_CAPBSET_DROP, ctypes.c_ulong(cap), ctypes.c_ulong(0),
              ctypes.c_ulong(0), ctypes.c_ulong(0))
    if mode == "root":
        uid = worker_uid(os.getpid())
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # clears every capability: uids go from 0 to non-zero
    header = _CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _call("capset", ctypes.byref(header), data)
    # Other workers (same uid in user mode) may not read this one's memory or environment.
    _call("prctl", PR_SET_DUMPABLE, ctypes.c_ulong(0), ctypes.c_ulong(0), ctypes.c_ulong(0),
          ctypes.c_ulong(0))


def kill_worker(pid: int, *, mode: str, sweep: bool = True) -> None:
    """The zygote ends worker pid and, in root mode with `sweep`, every process of its uid (a
    fork bomb's children that left the worker's process group too). The sweep forks the
    zygote, which would slow the next cold start: the lab asks for it only when the worker
    may have other processes (it said so, or it was stopped mid-invocation)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    if mode != "root" or not sweep:
        return
    if os.fork() == 0:
        try:
            uid = worker_uid(pid)
            os.setresuid(uid, uid, uid)
            os.kill(-1, signal.SIGKILL)  # every process this uid may signal: its own
        finally:
            os._exit(0)


def freeze_others(signum: int) -> bool:
    """SIGSTOP (after an invocation) or SIGCONT (before the next) every other process of this
    worker's uid, as AWS freezes an environment between invocations; whether there were any.
    Root mode only: there, the uid is this worker's alone."""
    try:
        os.kill(-1, signum)
    except ProcessLookupError:
        return False
    return True
