"""A seccomp BPF allow-list built with ctypes, for the evaluation child after fork.

Debian's python3-seccomp binds only the system interpreter, so the filter is
assembled here by hand. It is an ALLOW-list: a syscall not named below fails
with EPERM, so a class nobody thought of (a new signal path, io_uring, a new
mount API) is closed by default. What is allowed is what a single-threaded
CPython needs to compute, import the standard library and use its private
scratch: memory, files by descriptor or path, time, its own signal mask.
Four syscalls are allowed only with safe arguments: `prlimit64` on itself
(pid 0), `fcntl` with commands that cannot name a signal target (no
F_SETOWN/F_SETOWN_EX/F_SETSIG/F_SETLEASE/F_NOTIFY), `ioctl` with terminal and
descriptor queries (no FIOSETOWN), `prctl` with options about itself (no
PR_SCHED_CORE). `memfd_create` is refused: memfd memory escapes RLIMIT_AS,
and there is no memfd to exec. Not allowed, among others: every way to
send a signal (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo,
pidfd_send_signal), process and thread creation (fork, vfork, clone; clone3
answers ENOSYS), exec, sockets, ptrace, changing another process's
priority, affinity, scheduler, I/O priority or limits, io_uring, mounts and
namespaces, System V / POSIX IPC, keyrings, BPF, userfaultfd. A foreign
syscall ABI (i386, x32) kills the process. Standard library only: the worker
imports this inside the sandbox.
"""

from __future__ import annotations

import ctypes
import platform
import struct

_ALLOWED = (
    "read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev", "preadv2", "pwritev2",
    "open", "openat", "openat2", "creat", "close", "close_range", "lseek", "dup", "dup2", "dup3",
    "pipe", "pipe2", "stat", "fstat", "lstat", "newfstatat", "statx", "access", "faccessat", "faccessat2",
    "statfs", "fstatfs", "getdents", "getdents64", "getcwd", "chdir", "fchdir", "readlink", "readlinkat",
    "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat",
    "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "umask", "truncate", "ftruncate", "fallocate",
    "fsync", "fdatasync", "flock", "utimensat", "fadvise64", "sendfile", "copy_file_range", "splice", "tee",
    "poll", "ppoll", "select", "pselect6", "epoll_create", "epoll_create1", "epoll_ctl", "epoll_wait",
    "epoll_pwait", "epoll_pwait2", "eventfd", "eventfd2",
    "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore", "brk",
    "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigpending", "rt_sigtimedwait", "rt_sigsuspend",
    "sigaltstack", "pause", "alarm", "getitimer", "setitimer",
    "nanosleep", "clock_nanosleep", "clock_gettime", "clock_getres", "gettimeofday", "time",
    "futex", "set_robust_list", "get_robust_list", "set_tid_address", "rseq", "arch_prctl",
    "restart_syscall", "sched_yield", "sched_getaffinity", "sched_getparam", "sched_getscheduler",
    "sched_get_priority_max", "sched_get_priority_min", "getcpu", "getpriority",
    "getpid", "getppid", "gettid", "getuid", "geteuid", "getgid", "getegid", "getgroups", "getresuid",
    "getresgid", "getpgrp", "getpgid", "getsid", "capget",
    "getrlimit", "getrusage", "times", "sysinfo", "uname", "getrandom",
    "wait4", "waitid", "exit", "exit_group",
)
"""Syscalls allowed with any arguments (those absent on an architecture are skipped)."""

_X86_64 = {
    "read": 0, "write": 1, "open": 2, "close": 3, "stat": 4, "fstat": 5, "lstat": 6, "poll": 7, "lseek": 8,
    "mmap": 9, "mprotect": 10, "munmap": 11, "brk": 12, "rt_sigaction": 13, "rt_sigprocmask": 14,
    "rt_sigreturn": 15, "ioctl": 16, "pread64": 17, "pwrite64": 18, "readv": 19, "writev": 20, "access": 21,
    "pipe": 22, "select": 23, "sched_yield": 24, "mremap": 25, "msync": 26, "mincore": 27, "madvise": 28,
    "dup": 32, "dup2": 33, "pause": 34, "nanosleep": 35, "getitimer": 36, "alarm": 37, "setitimer": 38,
    "getpid": 39, "sendfile": 40, "clone": 56, "exit": 60, "wait4": 61, "uname": 63, "fcntl": 72,
    "flock": 73, "fsync": 74, "fdatasync": 75, "truncate": 76, "ftruncate": 77, "getdents": 78, "getcwd": 79,
    "chdir": 80, "fchdir": 81, "rename": 82, "mkdir": 83, "rmdir": 84, "creat": 85, "link": 86, "unlink": 87,
    "symlink": 88, "readlink": 89, "chmod": 90, "fchmod": 91, "umask": 95, "gettimeofday": 96,
    "getrlimit": 97, "getrusage": 98, "sysinfo": 99, "times": 100, "getuid": 102, "getgid": 104,
    "geteuid": 107, "getegid": 108, "getppid": 110, "getpgrp": 111, "getgroups": 115, "getresuid": 118,
    "getresgid": 120, "getpgid": 121, "getsid": 124, "capget": 125, "rt_sigpending": 127,
    "rt_sigtimedwait": 128, "rt_sigsuspend": 130, "sigaltstack": 131, "statfs": 137, "fstatfs": 138,
    "getpriority": 140, "sched_getparam": 143, "sched_getscheduler": 145, "sched_get_priority_max": 146,
    "sched_get_priority_min": 147, "prctl": 157, "arch_prctl": 158, "gettid": 186, "time": 201, "futex": 202,
    "sched_getaffinity": 204, "epoll_create": 213, "getdents64": 217, "set_tid_address": 218,
    "restart_syscall": 219, "fadvise64": 221, "clock_gettime": 228, "clock_getres": 229,
    "clock_nanosleep": 230, "exit_group": 231, "epoll_wait": 232, "epoll_ctl": 233, "waitid": 247,
    "openat": 257, "mkdirat": 258, "newfstatat": 262, "unlinkat": 263, "renameat": 264, "linkat": 265,
    "symlinkat": 266, "readlinkat": 267, "fchmodat": 268, "faccessat": 269, "pselect6": 270, "ppoll": 271,
    "set_robust_list": 273, "get_robust_list": 274, "splice": 275, "tee": 276, "utimensat": 280,
    "epoll_pwait": 281, "eventfd": 284, "fallocate": 285, "eventfd2": 290, "epoll_create1": 291, "dup3": 292,
    "pipe2": 293, "preadv": 295, "pwritev": 296, "prlimit64": 302, "getcpu": 309, "renameat2": 316,
    "getrandom": 318, "memfd_create": 319, "copy_file_range": 326, "preadv2": 327, "pwritev2": 328,
    "statx": 332, "rseq": 334, "clone3": 435, "close_range": 436, "openat2": 437, "faccessat2": 439,
    "epoll_pwait2": 441,
}
_AARCH64 = {
    "getcwd": 17, "eventfd2": 19, "epoll_create1": 20, "epoll_ctl": 21, "epoll_pwait": 22, "dup": 23, "dup3": 24,
    "fcntl": 25, "ioctl": 29, "flock": 32, "mkdirat": 34, "unlinkat": 35, "symlinkat": 36, "linkat": 37,
    "renameat": 38, "statfs": 43, "fstatfs": 44, "truncate": 45, "ftruncate": 46, "fallocate": 47,
    "faccessat": 48, "chdir": 49, "fchdir": 50, "fchmod": 52, "fchmodat": 53, "openat": 56, "close": 57,
    "pipe2": 59, "getdents64": 61, "lseek": 62, "read": 63, "write": 64, "readv": 65, "writev": 66,
    "pread64": 67, "pwrite64": 68, "preadv": 69, "pwritev": 70, "sendfile": 71, "pselect6": 72, "ppoll": 73,
    "splice": 76, "tee": 77, "readlinkat": 78, "newfstatat": 79, "fstat": 80, "fsync": 82, "fdatasync": 83,
    "utimensat": 88, "capget": 90, "exit": 93, "exit_group": 94, "waitid": 95, "set_tid_address": 96,
    "futex": 98, "set_robust_list": 99, "get_robust_list": 100, "nanosleep": 101, "getitimer": 102,
    "setitimer": 103, "clock_gettime": 113, "clock_getres": 114, "clock_nanosleep": 115,
    "sched_getparam": 121, "sched_getscheduler": 120, "sched_getaffinity": 123, "sched_yield": 124,
    "sched_get_priority_max": 125, "sched_get_priority_min": 126, "restart_syscall": 128,
    "sigaltstack": 132, "rt_sigsuspend": 133, "rt_sigaction": 134, "rt_sigprocmask": 135,
    "rt_sigpending": 136, "rt_sigtimedwait": 137, "rt_sigreturn": 139, "getpriority": 141,
    "getresuid": 148, "getresgid": 150, "times": 153, "getpgid": 155, "getsid": 156, "getgroups": 158,
    "uname": 160, "getrlimit": 163, "getrusage": 165, "umask": 166, "prctl": 167, "getcpu": 168,
    "gettimeofday": 169, "getpid": 172, "getppid": 173, "getuid": 174, "geteuid": 175, "getgid": 176,
    "getegid": 177, "gettid": 178, "sysinfo": 179, "brk": 214, "munmap": 215, "mremap": 216, "clone": 220,
    "mmap": 222, "fadvise64": 223, "mprotect": 226, "msync": 227, "mincore": 232, "madvise": 233,
    "wait4": 260, "prlimit64": 261, "renameat2": 276, "getrandom": 278, "memfd_create": 279,
    "copy_file_range": 285, "preadv2": 286, "pwritev2": 287, "statx": 291, "rseq": 293, "clone3": 435,
    "close_range": 436, "openat2": 437, "faccessat2": 439, "epoll_pwait2": 441,
}
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}

_FCNTL_ALLOWED = (0, 1, 2, 3, 4, 5, 6, 7, 36, 37, 38, 1030, 1031, 1032, 1033, 1034)
"""F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK/SETLK/SETLKW,
F_DUPFD_CLOEXEC, F_SETPIPE_SZ, F_GETPIPE_SZ, F_ADD_SEALS, F_GET_SEALS. Without an owner, O_ASYNC signals nobody."""
_IOCTL_ALLOWED = (0x5401, 0x5413, 0x541B, 0x5421, 0x5450, 0x5451)
"""TCGETS, TIOCGWINSZ, FIONREAD, FIONBIO, FIONCLEX, FIOCLEX."""
_PRCTL_ALLOWED = (1, 2, 3, 15, 16, 21, 23, 39, 0x53564D41)
"""PR_SET/GET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET/GET_NAME, PR_GET_SECCOMP, PR_CAPBSET_READ, PR_GET_NO_NEW_PRIVS,
PR_SET_VMA (naming its own mappings). Not PR_SCHED_CORE, which can retag another process's scheduling."""

_LD_W_ABS, _JEQ, _JGE, _RET = 0x20, 0x15, 0x35, 0x06
_RET_KILL_PROCESS, _RET_ERRNO, _RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
_EPERM, _ENOSYS = 1, 38
_X32_BIT = 0x40000000
_OFF_NR, _OFF_ARCH, _OFF_ARG0_LO, _OFF_ARG0_HI, _OFF_ARG1_LO = 0, 4, 16, 20, 24
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


_Op = tuple[int, "str | None", "str | None", int]
"""(opcode, jump-if-true label, jump-if-false label, k)."""


class SeccompUnavailableError(Exception):
    """This architecture or kernel cannot take the filter."""


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Filter:
    """An assembled program, built once in the worker and installed in each child."""

    def __init__(self, program: bytes, count: int) -> None:
        self._buf = ctypes.create_string_buffer(program, len(program))
        self._prog = _SockFprog(count, ctypes.addressof(self._buf))
        self.count = count

    def install(self) -> None:
        """Set no_new_privs and load the filter into the calling (single-threaded) process."""
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise SeccompUnavailableError(f"prctl(NO_NEW_PRIVS) failed, errno {ctypes.get_errno()}")
        if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(self._prog), 0, 0) != 0:
            raise SeccompUnavailableError(f"prctl(SECCOMP) failed, errno {ctypes.get_errno()}")


def _arg_check(label: str, offset: int, allowed: tuple[int, ...]) -> list[_Op | str]:
    """`label`: allow when the 32-bit argument word at `offset` is one of `allowed`, else EPERM."""
    ok, no = f"{label}_ok", f"{label}_no"
    ops: list[_Op | str] = [label, (_LD_W_ABS, None, None, offset)]
    ops += [(_JEQ, ok, None, value) for value in allowed]
    return [*ops, no, (_RET, None, None, _RET_ERRNO | _EPERM), ok, (_RET, None, None, _RET_ALLOW)]


def build_filter(machine: str | None = None) -> Filter:
    """Assemble the allow-list program for this machine's architecture."""
    arch = machine or platform.machine()
    if arch not in _ARCHES:
        raise SeccompUnavailableError(f"no seccomp syscall table for architecture {arch}")
    audit_arch, table = _ARCHES[arch]
    # A bare string is a label; jumps name labels (forward only) and resolve to relative offsets.
    ops: list[_Op | str] = [
        (_LD_W_ABS, None, None, _OFF_ARCH),
        (_JEQ, "nr", "kill_arch", audit_arch),
        "kill_arch",
        (_RET, None, None, _RET_KILL_PROCESS),
        "nr",
        (_LD_W_ABS, None, None, _OFF_NR),
    ]
    if arch == "x86_64":
        ops += [(_JGE, "kill_abi", "list", _X32_BIT), "kill_abi", (_RET, None, None, _RET_KILL_PROCESS)]
    ops.append("list")
    ops += [(_JEQ, "allow", None, table[name]) for name in _ALLOWED if name in table]
    ops += [
        (_JEQ, "enosys", None, table["clone3"]),
        (_JEQ, "prlimit", None, table["prlimit64"]),
        (_JEQ, "fcntl", None, table["fcntl"]),
        (_JEQ, "ioctl", None, table["ioctl"]),
        (_JEQ, "prctl", None, table["prctl"]),
        (_RET, None, None, _RET_ERRNO | _EPERM),
        "allow",
        (_RET, None, None, _RET_ALLOW),
        "enosys",
        (_RET, None, None, _RET_ERRNO | _ENOSYS),
        "prlimit",  # only pid 0 (the caller itself), as a full 64-bit zero
        (_LD_W_ABS, None, None, _OFF_ARG0_LO),
        (_JEQ, "prlimit_hi", "prlimit_no", 0),
        "prlimit_hi",
        (_LD_W_ABS, None, None, _OFF_ARG0_HI),
        (_JEQ, "prlimit_ok", "prlimit_no", 0),
        "prlimit_ok",
        (_RET, None, None, _RET_ALLOW),
        "prlimit_no",
        (_RET, None, None, _RET_ERRNO | _EPERM),
        *_arg_check("fcntl", _OFF_ARG1_LO, _FCNTL_ALLOWED),
        *_arg_check("ioctl", _OFF_ARG1_LO, _IOCTL_ALLOWED),
        *_arg_check("prctl", _OFF_ARG0_LO, _PRCTL_ALLOWED),
    ]
    return _assemble(ops)


def _assemble(ops: list[_Op | str]) -> Filter:
    labels: dict[str, int] = {}
    code: list[_Op] = []
    for op in ops:
        if isinstance(op, str):
            labels[op] = len(code)
        else:
            code.append(op)
    out = bytearray()
    for index, (opcode, jt, jf, k) in enumerate(code):
        rel_t = labels[jt] - index - 1 if jt else 0
        rel_f = labels[jf] - index - 1 if jf else 0
        if not (0 <= rel_t <= 255 and 0 <= rel_f <= 255):
            raise SeccompUnavailableError("seccomp jump out of range")
        out += struct.pack("=HBBI", opcode, rel_t, rel_f, k)
    return Filter(bytes(out), len(code))


def allowed_syscalls() -> tuple[str, ...]:
    """Names of the syscalls the filter allows, for status and docs."""
    return (*_ALLOWED, "prlimit64 (own process only)", "fcntl (no signal owner)", "ioctl (queries only)",
            "prctl (own process only)")


__all__ = ["Filter", "SeccompUnavailableError", "allowed_syscalls", "build_filter"]
