"""A minimal pickle writer and a restricted pickle reader, for PyTorch's ``data.pkl``.

Neither uses ``pickle.Pickler``/``pickle.Unpickler``: the writer emits protocol-2 opcodes
itself (so it can name ``torch.FloatStorage`` and friends without importing torch), and the
reader is a small pickle machine that resolves every global through an allow-list and refuses
the opcodes that build arbitrary objects. A checkpoint can therefore only ever produce
containers, primitives and what the allow-listed functions build.
"""

from __future__ import annotations

import codecs
import pickle
import struct

from ._io import UnsafeCheckpointError
from ._safe_globals import allowed

# -- writing ---------------------------------------------------------------------------------------


class Global:
    """A reference the writer emits as ``GLOBAL module name``."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str):
        self.module, self.name = module, name


class PickleWriter:
    """Appends protocol-2 opcodes to ``self.out``; globals are memoised like ``pickle`` does."""

    def __init__(self):
        self.out = bytearray(pickle.PROTO + b"\x02")
        self._memo_globals: dict[tuple, int] = {}
        self._memo_size = 0

    def put_memo(self) -> int:
        """Memoise the object on top of the stack; returns its memo index."""
        i = self._memo_size
        self._memo_size += 1
        self.out += pickle.BINPUT + bytes([i]) if i < 256 else pickle.LONG_BINPUT + struct.pack("<I", i)
        return i

    def get_memo(self, i: int) -> None:
        self.out += pickle.BINGET + bytes([i]) if i < 256 else pickle.LONG_BINGET + struct.pack("<I", i)

    def global_(self, g: Global) -> None:
        key = (g.module, g.name)
        if key in self._memo_globals:
            self.get_memo(self._memo_globals[key])
            return
        self.out += pickle.GLOBAL + f"{g.module}\n{g.name}\n".encode("ascii")
        self._memo_globals[key] = self.put_memo()

    def none(self) -> None:
        self.out += pickle.NONE

    def bool_(self, v: bool) -> None:
        self.out += pickle.NEWTRUE if v else pickle.NEWFALSE

    def int_(self, v: int) -> None:
        if 0 <= v < 256:
            self.out += pickle.BININT1 + bytes([v])
        elif 0 <= v < 65536:
            self.out += pickle.BININT2 + struct.pack("<H", v)
        elif -(2**31) <= v < 2**31:
            self.out += pickle.BININT + struct.pack("<i", v)
        else:
            data = pickle.encode_long(v)
            if len(data) < 256:
                self.out += pickle.LONG1 + bytes([len(data)]) + data
            else:
                self.out += pickle.LONG4 + struct.pack("<i", len(data)) + data

    def float_(self, v: float) -> None:
        self.out += pickle.BINFLOAT + struct.pack(">d", v)

    def str_(self, s: str) -> None:
        data = s.encode("utf-8", "surrogatepass")
        self.out += pickle.BINUNICODE + struct.pack("<I", len(data)) + data

    def bytes_(self, b: bytes) -> None:
        # Protocol 2 has no bytes opcode; Python (and PyTorch) write _codecs.encode(text, 'latin1').
        self.global_(Global("_codecs", "encode"))
        self.str_(b.decode("latin1"))
        self.str_("latin1")
        self.out += pickle.TUPLE2 + pickle.REDUCE

    def mark(self) -> None:
        self.out += pickle.MARK

    def tuple_end(self, n: int) -> None:
        """Close a tuple of ``n`` items pushed after ``mark()`` (or without a mark for n <= 3)."""
        self.out += {0: pickle.EMPTY_TUPLE, 1: pickle.TUPLE1, 2: pickle.TUPLE2, 3: pickle.TUPLE3}.get(n, pickle.TUPLE)

    def raw(self, opcodes: bytes) -> None:
        self.out += opcodes

    def stop(self) -> bytes:
        self.out += pickle.STOP
        return bytes(self.out)


# -- reading ---------------------------------------------------------------------------------------


class _Truncated(Exception):
    pass


class _Mark:
    """The MARK sentinel on the stack."""


_MARK = _Mark()


def refuse_global(module: str, name: str):
    full = f"{module}.{name}"
    raise UnsafeCheckpointError(
        "Weights only load failed. ember.load ran with weights_only=True (the default), which only rebuilds "
        "tensors, containers and primitive types and never runs code from the file. If you trust the source of "
        "the checkpoint, ember.load(f, weights_only=False) will likely load it, but that can run arbitrary code.\n"
        f"\tWeightsUnpickler error: Unsupported global: GLOBAL {full} was not an allowed global by default. "
        f"Please use `ember.serialization.add_safe_globals([{full}])` or the "
        f"`ember.serialization.safe_globals([{full}])` context manager (torch.serialization under `ember run`) "
        "to allowlist this global if you trust this class/function."
    )


def _safe_codecs_encode(obj, encoding="utf-8", errors="strict"):
    # What protocol-2 pickles use to carry bytes; only text codecs, never codec machinery at large.
    if not isinstance(obj, str) or codecs.lookup(encoding).name not in ("latin-1", "iso8859-1", "utf-8", "ascii"):
        raise UnsafeCheckpointError(f"ember.load refused _codecs.encode with encoding {encoding!r}")
    return obj.encode(encoding, errors)


# bytes(n)/bytearray(n) allocate n zero bytes: a few bytes of pickle could ask for terabytes. No pickler writes
# them with a count (bytes travel as data), so a count above this is refused rather than allocated.
MAX_ALLOCATION_COUNT = 1 << 20


def _byte_args(kind: str, args: tuple) -> None:
    if args and not isinstance(args[0], (str, bytes, bytearray, list, tuple, int)):
        raise UnsafeCheckpointError(f"ember.load refused {kind}() of an unexpected argument")
    if args and isinstance(args[0], int) and not 0 <= args[0] <= MAX_ALLOCATION_COUNT:
        raise UnsafeCheckpointError(
            f"ember.load refused {kind}({args[0]}): a pickle asking for {args[0]} zero bytes (more than "
            f"{MAX_ALLOCATION_COUNT}) is an attempt to exhaust memory, not data"
        )


def _bytes(*args):
    _byte_args("bytes", args)
    return bytes(*args)


def _bytearray(*args):
    _byte_args("bytearray", args)
    return bytearray(*args)


# Built-in types a pickle may name: constructing them runs no user code and allocates no more than the pickle holds.
SAFE_BUILTINS = {
    name: obj for name, obj in {
        "set": set, "frozenset": frozenset, "bytearray": _bytearray, "complex": complex, "slice": slice,
        "int": int, "float": float, "bool": bool, "str": str, "tuple": tuple, "list": list, "dict": dict,
        "bytes": _bytes,
    }.items()
}


class RestrictedUnpickler:
    """Runs the pickle opcodes in ``data`` with every global resolved by ``find_class(module, name)``
    (which returns a vetted object or raises) and persistent ids by ``persistent_load(pid)``.

    REDUCE may only call what ``find_class`` handed out and ``callables`` lists; NEWOBJ and
    BUILD only apply to ``newobj_types``/``build`` handlers; INST, OBJ, extension codes and
    out-of-band buffers are refused.
    """

    def __init__(self, data: bytes, find_class, persistent_load, callables, build=None, newobj_types=()):
        self.data = bytes(data)
        self.pos = 0
        self.find_class = find_class
        self.persistent_load = persistent_load
        self.callables = callables  # ids of objects REDUCE may call
        self.build = build  # build(obj, state) -> None, or raise
        self.newobj_types = newobj_types

    @staticmethod
    def _user_allowed(obj) -> bool:
        return allowed(obj)

    # -- byte reading --
    def _read(self, n: int) -> bytes:
        end = self.pos + n
        if n < 0 or end > len(self.data):
            raise _Truncated
        out = self.data[self.pos:end]
        self.pos = end
        return out

    def _readline(self) -> bytes:
        end = self.data.find(b"\n", self.pos)
        if end < 0:
            raise _Truncated
        line = self.data[self.pos:end]
        self.pos = end + 1
        return line

    def _u8(self) -> int:
        return self._read(1)[0]

    def _unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self._read(size))[0]

    # -- the machine --
    def load(self):
        """Run to STOP; returns the unpickled object. Raises ``_Truncated`` at the end of data."""
        stack: list = []
        metastack: list = []
        memo: dict = {}

        def pop_mark():
            nonlocal stack
            items = stack
            stack = metastack.pop()
            return items

        P = pickle
        while True:
            op = self._read(1)
            if op == P.PROTO:
                if self._u8() > 5:
                    raise ValueError("unsupported pickle protocol")
            elif op == P.FRAME:
                self._unpack("<Q")
            elif op == P.STOP:
                if not stack:
                    raise ValueError("pickle ended with an empty stack")
                return stack.pop()
            elif op == P.MARK:
                metastack.append(stack)
                stack = []
            elif op == P.POP:
                if stack:
                    stack.pop()
                else:
                    pop_mark()
            elif op == P.POP_MARK:
                pop_mark()
            elif op == P.DUP:
                stack.append(stack[-1])
            # -- scalars --
            elif op == P.NONE:
                stack.append(None)
            elif op == P.NEWTRUE:
                stack.append(True)
            elif op == P.NEWFALSE:
                stack.append(False)
            elif op == P.BININT:
                stack.append(self._unpack("<i"))
            elif op == P.BININT1:
                stack.append(self._u8())
            elif op == P.BININT2:
                stack.append(self._unpack("<H"))
            elif op == P.LONG1:
                stack.append(pickle.decode_long(self._read(self._u8())))
            elif op == P.LONG4:
                n = self._unpack("<i")
                stack.append(pickle.decode_long(self._read(n)))
            elif op == P.INT:
                line = self._readline()
                stack.append(True if line == b"01" else False if line == b"00" else int(line))
            elif op == P.LONG:
                stack.append(int(self._readline().rstrip(b"L")))
            elif op == P.BINFLOAT:
                stack.append(self._unpack(">d"))
            elif op == P.FLOAT:
                stack.append(float(self._readline()))
            # -- strings and bytes --
            elif op == P.BINUNICODE:
                stack.append(str(self._read(self._unpack("<I")), "utf-8", "surrogatepass"))
            elif op == P.SHORT_BINUNICODE:
                stack.append(str(self._read(self._u8()), "utf-8", "surrogatepass"))
            elif op == P.BINUNICODE8:
                stack.append(str(self._read(self._unpack("<Q")), "utf-8", "surrogatepass"))
            elif op == P.UNICODE:
                stack.append(self._readline().decode("raw-unicode-escape"))
            elif op == P.BINBYTES:
                stack.append(self._read(self._unpack("<I")))
            elif op == P.SHORT_BINBYTES:
                stack.append(self._read(self._u8()))
            elif op == P.BINBYTES8:
                stack.append(self._read(self._unpack("<Q")))
            elif op == P.BYTEARRAY8:
                stack.append(bytearray(self._read(self._unpack("<Q"))))
            elif op == P.SHORT_BINSTRING:
                stack.append(str(self._read(self._u8()), "ascii"))
            elif op == P.BINSTRING:
                stack.append(str(self._read(self._unpack("<i")), "ascii"))
            elif op == P.STRING:
                line = self._readline()
                if len(line) < 2 or line[:1] != line[-1:] or line[:1] not in b"\"'":
                    raise ValueError("bad STRING opcode argument")
                stack.append(codecs.escape_decode(line[1:-1])[0].decode("ascii"))
            # -- containers --
            elif op == P.EMPTY_TUPLE:
                stack.append(())
            elif op == P.TUPLE1:
                stack[-1] = (stack[-1],)
            elif op == P.TUPLE2:
                stack[-2:] = [tuple(stack[-2:])]
            elif op == P.TUPLE3:
                stack[-3:] = [tuple(stack[-3:])]
            elif op == P.TUPLE:
                items = pop_mark()
                stack.append(tuple(items))
            elif op == P.EMPTY_LIST:
                stack.append([])
            elif op == P.LIST:
                items = pop_mark()
                stack.append(list(items))
            elif op == P.APPEND:
                value = stack.pop()
                _append(stack[-1], [value])
            elif op == P.APPENDS:
                items = pop_mark()
                _append(stack[-1], items)
            elif op == P.EMPTY_DICT:
                stack.append({})
            elif op == P.DICT:
                items = pop_mark()
                stack.append({items[i]: items[i + 1] for i in range(0, len(items), 2)})
            elif op == P.SETITEM:
                value = stack.pop()
                key = stack.pop()
                _setitems(stack[-1], [key, value])
            elif op == P.SETITEMS:
                items = pop_mark()
                _setitems(stack[-1], items)
            elif op == P.EMPTY_SET:
                stack.append(set())
            elif op == P.ADDITEMS:
                items = pop_mark()
                target = stack[-1]
                if not isinstance(target, set):
                    raise ValueError("ADDITEMS on a non-set")
                target.update(items)
            elif op == P.FROZENSET:
                items = pop_mark()
                stack.append(frozenset(items))
            # -- memo --
            elif op == P.BINPUT:
                memo[self._u8()] = stack[-1]
            elif op == P.LONG_BINPUT:
                memo[self._unpack("<I")] = stack[-1]
            elif op == P.PUT:
                memo[int(self._readline())] = stack[-1]
            elif op == P.MEMOIZE:
                memo[len(memo)] = stack[-1]
            elif op == P.BINGET:
                stack.append(memo[self._u8()])
            elif op == P.LONG_BINGET:
                stack.append(memo[self._unpack("<I")])
            elif op == P.GET:
                stack.append(memo[int(self._readline())])
            # -- globals and calls: everything goes through the allow-lists --
            elif op == P.GLOBAL:
                module = self._readline().decode("utf-8")
                name = self._readline().decode("utf-8")
                stack.append(self.find_class(module, name))
            elif op == P.STACK_GLOBAL:
                name = stack.pop()
                module = stack.pop()
                if not isinstance(module, str) or not isinstance(name, str):
                    raise ValueError("STACK_GLOBAL needs two strings")
                stack.append(self.find_class(module, name))
            elif op == P.REDUCE:
                args = stack.pop()
                func = stack.pop()
                if (id(func) not in self.callables and not self._user_allowed(func)) or not isinstance(args, tuple):
                    raise UnsafeCheckpointError(
                        f"ember.load refused to call {_describe(func)}: only the allow-listed rebuild functions "
                        "may be called"
                    )
                stack.append(func(*args))
            elif op == P.NEWOBJ:
                args = stack.pop()
                cls = stack.pop()
                if (cls not in self.newobj_types and not self._user_allowed(cls)) or not isinstance(args, tuple):
                    raise UnsafeCheckpointError(f"ember.load refused to create an object of {_describe(cls)}")
                stack.append(cls.__new__(cls, *args))
            elif op == P.BUILD:
                state = stack.pop()
                if self.build is None:
                    raise UnsafeCheckpointError(f"ember.load refused to set the state of {_describe(stack[-1])}")
                self.build(stack[-1], state)
            elif op == P.BINPERSID:
                stack.append(self.persistent_load(stack.pop()))
            elif op == P.PERSID:
                stack.append(self.persistent_load(self._readline().decode("ascii")))
            elif op in (P.INST, P.OBJ, P.NEWOBJ_EX, P.EXT1, P.EXT2, P.EXT4, P.NEXT_BUFFER, P.READONLY_BUFFER):
                raise UnsafeCheckpointError(
                    f"ember.load refused pickle opcode {_OPCODE_NAMES.get(op, op)!r}: it builds arbitrary objects"
                )
            else:
                raise ValueError(f"invalid pickle opcode {op!r} at byte {self.pos - 1}")


_OPCODE_NAMES = {getattr(pickle, n): n for n in dir(pickle) if n.isupper() and isinstance(getattr(pickle, n), bytes)}


def _describe(obj) -> str:
    if isinstance(obj, type):
        return f"type '{obj.__module__}.{obj.__qualname__}'"
    return f"an object of type '{type(obj).__qualname__}'"


def _append(target, items) -> None:
    if not isinstance(target, list):
        raise ValueError("APPEND on a non-list")
    target.extend(items)


def _setitems(target, items) -> None:
    if not isinstance(target, dict):
        raise ValueError("SETITEM on a non-dict")
    for i in range(0, len(items), 2):
        target[items[i]] = items[i + 1]


Truncated = _Truncated
