"""Taking the network away from the current process (Linux seccomp), for the SPARQL workers.

Oxigraph answers ``SERVICE <url>`` (and ``LOAD <url>``) by making an HTTP request from
inside the engine. The endpoint refuses such text (``govgraph.io.sparql_guard``), and the
processes that run the text of requests go further: they install a seccomp filter under
which ``socket()`` fails with EACCES for every address family except AF_UNIX (the pipe to
the web process), and ``io_uring_setup`` fails too (io_uring can open sockets without the
``socket`` system call). Name lookups fail with it (they need a UDP or netlink socket). A
filter cannot be removed once installed, and it applies to every thread of the process
(``SECCOMP_FILTER_FLAG_TSYNC``). Foreign-ABI system calls (i386 or x32 on x86-64) are refused
outright, so the numbers checked are the only way in.

The filter is a dozen classic-BPF instructions built here with ctypes: libseccomp's Python
binding is not on PyPI for every Python, and the program is small enough to read whole.
Linux on x86-64 and AArch64 only; elsewhere ``install`` returns False and the guard alone
stands (the workers say so in ``PoolStats.sandboxed``).
"""
from __future__ import annotations

import ctypes
import errno
import os
import platform
import socket
import struct

# constants from linux/seccomp.h, linux/filter.h, linux/audit.h and linux/prctl.h
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_LD_W_ABS = 0x20        # BPF_LD | BPF_W | BPF_ABS
_JEQ_K = 0x15           # BPF_JMP | BPF_JEQ | BPF_K
_JGE_K = 0x35           # BPF_JMP | BPF_JGE | BPF_K
_RET_K = 0x06           # BPF_RET | BPF_K
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16  # struct seccomp_data (args[0]'s low word on little-endian)

#: machine -> (audit arch, socket, io_uring_setup, seccomp) system call numbers
_ARCHES = {
    "x86_64": (0xC000003E, 41, 425, 317),
    "aarch64": (0xC00000B7, 198, 425, 277),
}
_X32_BIT = 0x40000000


class _Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _Prog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Filter))]


def program(arch: int, nr_socket: int, nr_uring: int) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jump-if-true, jump-if-false, k) instructions."""
    deny = _RET_ERRNO | errno.EACCES
    # jump offsets count instructions skipped after the current one
    return [
        (_LD_W_ABS, 0, 0, _OFF_ARCH),         # 0: A = arch
        (_JEQ_K, 1, 0, arch),                 # 1: native ABI? -> 3
        (_RET_K, 0, 0, deny),                 # 2: a foreign ABI: refused
        (_LD_W_ABS, 0, 0, _OFF_NR),           # 3: A = system call number
        (_JGE_K, 6, 0, _X32_BIT),             # 4: x32 numbering -> deny (11)
        (_JEQ_K, 5, 0, nr_uring),             # 5: io_uring_setup -> deny (11)
        (_JEQ_K, 1, 0, nr_socket),            # 6: socket -> 8
        (_RET_K, 0, 0, _RET_ALLOW),           # 7: anything else
        (_LD_W_ABS, 0, 0, _OFF_ARG0),         # 8: A = address family
        (_JEQ_K, 0, 1, socket.AF_UNIX),       # 9: AF_UNIX -> allow (10), else deny (11)
        (_RET_K, 0, 0, _RET_ALLOW),           # 10
        (_RET_K, 0, 0, deny),                 # 11
    ]


def supported() -> bool:
    """Whether this platform can take the network away from a process."""
    return platform.system() == "Linux" and platform.machine() in _ARCHES and struct.calcsize("P") == 8


def install() -> bool:
    """Take the network away from this process for good; True when the filter is in place.

    Idempotent (a second filter only repeats the first). Never raises: on a platform or
    kernel that cannot do it, returns False and changes nothing.
    """
    if not supported():
        return False
    arch, nr_socket, nr_uring, nr_seccomp = _ARCHES[platform.machine()]
    code = program(arch, nr_socket, nr_uring)
    filters = (_Filter * len(code))(*[_Filter(*ins) for ins in code])
    prog = _Prog(len(code), filters)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        libc.syscall.restype = ctypes.c_long
        rc = libc.syscall(ctypes.c_long(nr_seccomp), ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    except (OSError, AttributeError):
        return False
    return rc == 0 and not network_reachable()


def network_reachable() -> bool:
    """Whether this process can still open an Internet socket (False once ``install`` worked)."""
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return False
    s.close()
    return True


__all__ = ["install", "supported", "network_reachable", "program"]
