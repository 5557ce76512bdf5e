"""A seccomp BPF filter built with ctypes, for the evaluation child after fork.

Debian's python3-seccomp binds only the system interpreter, so the filter is
assembled here by hand. It denies (EPERM) exec, process creation (fork, vfork,
clone without CLONE_THREAD), sockets, ptrace and cross-process memory access,
signals to other processes, mounts, namespaces, keyrings, BPF, io_uring and
System V / POSIX message-queue IPC (state that would outlive the child);
clone3 answers ENOSYS so glibc falls back to clone, whose flags can be checked.
A foreign syscall ABI (i386, x32) kills the process. Standard library only:
the worker imports this inside the sandbox.
"""

from __future__ import annotations

import ctypes
import platform
import struct

_DENIED = (
    "execve", "execveat", "fork", "vfork",
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "ptrace", "process_vm_readv", "process_vm_writev",
    "kill", "tkill", "tgkill", "pidfd_send_signal", "pidfd_open", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount",
    "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "setns", "unshare",
    "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "open_by_handle_at", "name_to_handle_at",
    "init_module", "finit_module", "delete_module", "kexec_load", "reboot",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "shmget", "shmat", "shmctl", "shmdt", "semget", "semop", "semctl", "semtimedop",
    "msgget", "msgsnd", "msgrcv", "msgctl", "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
    "mq_notify", "mq_getsetattr",
)
"""Syscalls the child may not make, by name (those absent on an architecture are skipped)."""

_X86_64 = {
    "execve": 59, "execveat": 322, "fork": 57, "vfork": 58, "clone": 56, "clone3": 435,
    "socket": 41, "socketpair": 53, "connect": 42, "bind": 49, "listen": 50, "accept": 43, "accept4": 288,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311,
    "kill": 62, "tkill": 200, "tgkill": 234, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "setns": 308, "unshare": 272,
    "keyctl": 250, "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
    "open_by_handle_at": 304, "name_to_handle_at": 303,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246, "reboot": 169,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "semget": 64, "semop": 65, "semctl": 66,
    "semtimedop": 220, "msgget": 68, "msgsnd": 69, "msgrcv": 70, "msgctl": 71, "mq_open": 240,
    "mq_unlink": 241, "mq_timedsend": 242, "mq_timedreceive": 243, "mq_notify": 244, "mq_getsetattr": 245,
}
_AARCH64 = {
    "execve": 221, "execveat": 281, "clone": 220, "clone3": 435,
    "socket": 198, "socketpair": 199, "connect": 203, "bind": 200, "listen": 201, "accept": 202, "accept4": 242,
    "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
    "kill": 129, "tkill": 130, "tgkill": 131, "pidfd_send_signal": 424, "pidfd_open": 434, "pidfd_getfd": 438,
    "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "setns": 268, "unshare": 97,
    "keyctl": 219, "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
    "open_by_handle_at": 265, "name_to_handle_at": 264,
    "init_module": 105, "finit_module": 273, "delete_module": 106, "kexec_load": 104, "reboot": 142,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "shmget": 194, "shmctl": 195, "shmat": 196, "shmdt": 197, "semget": 190, "semctl": 191,
    "semtimedop": 192, "semop": 193, "msgget": 186, "msgctl": 187, "msgrcv": 188, "msgsnd": 189,
    "mq_open": 180, "mq_unlink": 181, "mq_timedsend": 182, "mq_timedreceive": 183, "mq_notify": 184,
    "mq_getsetattr": 185,
}
_ARCHES = {"x86_64": (0xC000003E, _X86_64), "aarch64": (0xC00000B7, _AARCH64)}

_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_RET_KILL_PROCESS, _RET_ERRNO, _RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
_EPERM, _ENOSYS = 1, 38
_CLONE_THREAD = 0x00010000
_X32_BIT = 0x40000000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16
_PR_SET_NO_NEW_PRIVS, _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER = 38, 22, 2


_Op = tuple[int, "str | None", "str | None", int]
"""(opcode, jump-if-true label, jump-if-false label, k)."""


class SeccompUnavailable(Exception):
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
            raise SeccompUnavailable(f"prctl(NO_NEW_PRIVS) failed, errno {ctypes.get_errno()}")
        if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(self._prog), 0, 0) != 0:
            raise SeccompUnavailable(f"prctl(SECCOMP) failed, errno {ctypes.get_errno()}")


def build_filter(machine: str | None = None) -> Filter:
    """Assemble the deny-list program for this machine's architecture."""
    arch = machine or platform.machine()
    if arch not in _ARCHES:
        raise SeccompUnavailable(f"no seccomp syscall table for architecture {arch}")
    audit_arch, table = _ARCHES[arch]
    # A bare string is a label; jumps name labels and resolve to relative offsets.
    ops: list[_Op | str] = [
        (_LD_W_ABS, None, None, _OFF_ARCH),
        (_JEQ, "nr", "kill", audit_arch),
        "nr",
        (_LD_W_ABS, None, None, _OFF_NR),
    ]
    if arch == "x86_64":
        ops.append((_JGE, "kill", None, _X32_BIT))
    for name in _DENIED:
        if name in table:
            ops.append((_JEQ, "deny", None, table[name]))
    ops += [
        (_JEQ, "enosys", None, table["clone3"]),
        (_JEQ, None, "allow", table["clone"]),
        (_LD_W_ABS, None, None, _OFF_ARG0),
        (_JSET, "allow", "deny", _CLONE_THREAD),
        "allow",
        (_RET, None, None, _RET_ALLOW),
        "deny",
        (_RET, None, None, _RET_ERRNO | _EPERM),
        "enosys",
        (_RET, None, None, _RET_ERRNO | _ENOSYS),
        "kill",
        (_RET, None, None, _RET_KILL_PROCESS),
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
            raise SeccompUnavailable("seccomp jump out of range")
        out += struct.pack("=HBBI", opcode, rel_t, rel_f, k)
    return Filter(bytes(out), len(code))


def denied_syscalls() -> tuple[str, ...]:
    """Names of the syscalls the filter denies, for status and docs."""
    return (*_DENIED, "clone without CLONE_THREAD", "clone3 (ENOSYS)")


__all__ = ["Filter", "SeccompUnavailable", "build_filter", "denied_syscalls"]
