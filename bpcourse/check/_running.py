"""Running the learner's function: on copies, under a time limit, contained.

``run_learner(fn, case, seconds, first)`` calls ``fn`` on deep copies of the
case's arguments and returns ``(output, args, kwargs)`` (the copies, as the
call left them), or raises ``LearnerError`` saying, in the learner's terms,
what went wrong: not attempted, too slow, or an exception, with the line of
the learner's code that raised it. Nothing the function does ends the
caller: ``sys.exit()``, ``KeyboardInterrupt`` and other ``BaseException``\\ s
are reported like any other exception, and numpy's global state (``np.seterr``,
print options) is put back as it was.

The time limit: in the main thread, a ``SIGALRM`` timer raises ``TimeLimit``
inside the function and fires again every 0.2 s. If the function swallows it
(a bare ``except:`` around a loop), the next tick raises it again from
*inside* the handler that caught it, and after ``NOTICE_AFTER`` seconds more
a notice on stderr says how to interrupt the kernel. Away from the main thread
the call runs in a helper thread that is sent ``TimeLimit`` asynchronously; if
it will not stop, the check still returns, and says so.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import inspect
import linecache
import signal
import sys
import threading
import traceback

import numpy as np

__all__ = ["TIME_LIMIT", "TimeLimit", "LearnerError", "run_learner", "message", "call_limited",
           "numpy_state", "learner_line"]

TIME_LIMIT = 3.0     # seconds one call of a learner's function may take
TICK = 0.2           # seconds between repeated stop requests
NOTICE_AFTER = 2.0   # seconds past the limit before saying how to interrupt
THREAD_TRIES = 20    # stop requests sent to a helper thread, TICK / 2 apart

_INTERRUPT = ("Interrupt the kernel to stop it (the ■ button, or Kernel → Interrupt; "
              "if that does not stop it either, Kernel → Restart).")


class TimeLimit(BaseException):
    """Raised inside the learner's code when it runs too long.

    A BaseException, so a learner's ``except Exception`` cannot swallow it.
    """


class LearnerError(Exception):
    """What went wrong in the learner's function, for the report."""

    def __init__(self, kind, text):
        super().__init__(text)
        self.kind = kind   # "not attempted" | "timeout" | "exception"
        self.text = text


# ---------------------------------------------------------------------------
# Global numpy state
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def numpy_state():
    """Whatever the block does to np.seterr, np.seterrcall and the print
    options is undone when it ends."""
    err, call, printing = np.geterr(), np.geterrcall(), np.get_printoptions()
    try:
        yield
    finally:
        np.seterr(**err)
        np.seterrcall(call)
        np.set_printoptions(**printing)


# ---------------------------------------------------------------------------
# The time limit
# ---------------------------------------------------------------------------


def call_limited(fn, args, kwargs, seconds):
    """``fn(*args, **kwargs)``, stopped with ``TimeLimit`` after ``seconds``."""
    in_main = threading.current_thread() is threading.main_thread()
    if in_main and hasattr(signal, "setitimer"):
        return _call_with_alarm(fn, args, kwargs, seconds)
    return _call_in_thread(fn, args, kwargs, seconds)


def _raise_in_handlers(frame, event, arg):
    """A trace function: raise TimeLimit again from a handler that caught it.

    Raised from a line of the ``except`` block itself, it leaves that block
    instead of being caught by it.
    """
    if isinstance(sys.exc_info()[1], TimeLimit):
        raise TimeLimit
    return _raise_in_handlers


def _trace_learner_frames(frame, stop_at):
    """Trace ``frame`` and its callers up to (not including) ``stop_at``."""
    sys.settrace(_raise_in_handlers)
    while frame is not None and frame is not stop_at:
        frame.f_trace = _raise_in_handlers
        frame.f_trace_lines = True
        frame = frame.f_back


def _call_with_alarm(fn, args, kwargs, seconds):
    state = {"armed": True, "ticks": 0, "told": False}
    here = sys._getframe()
    ticks_to_notice = max(1, round(NOTICE_AFTER / TICK))

    def on_alarm(signum, frame):
        if not state["armed"]:
            return
        state["ticks"] += 1
        if state["ticks"] > 1:    # the first TimeLimit was swallowed
            _trace_learner_frames(frame, here)
        if state["ticks"] > ticks_to_notice and not state["told"]:
            state["told"] = True
            print(f"The check has asked your function to stop for {NOTICE_AFTER:g} s, "
                  "and it goes on (a bare `except:` that catches everything?). "
                  + _INTERRUPT, file=sys.stderr, flush=True)
        raise TimeLimit

    old_trace = sys.gettrace()
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_timer = signal.setitimer(signal.ITIMER_REAL, 0)
    signal.setitimer(signal.ITIMER_REAL, seconds, TICK)
    try:
        out = fn(*args, **kwargs)
        state["armed"] = False
    finally:
        state["armed"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        sys.settrace(old_trace)
        signal.signal(signal.SIGALRM, old_handler)
        if old_timer[0] > 0:   # someone else's timer was running: give it back
            signal.setitimer(signal.ITIMER_REAL, *old_timer)
    if state["ticks"]:   # it swallowed the stop request, and ended late
        raise TimeLimit
    return out


def _call_in_thread(fn, args, kwargs, seconds):
    # Away from the main thread signals are unavailable: run the call in a
    # helper thread and, on time-out, raise TimeLimit inside it.
    box = {}

    def target():
        try:
            box["out"] = fn(*args, **kwargs)
        except BaseException as err:  # handed back to the caller below
            box["err"] = err

    worker = threading.Thread(target=target, daemon=True, name="bpcourse-check")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        for _ in range(THREAD_TRIES):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(worker.ident), ctypes.py_object(TimeLimit))
            worker.join(TICK / 2)
            if not worker.is_alive():
                break
        else:
            raise LearnerError("timeout", (
                f"it ran for more than {seconds:g} s, and it goes on: it did not stop when "
                "asked (a bare `except:` that catches everything?). It is still running "
                "in the background and using the processor. " + _INTERRUPT))
        raise TimeLimit
    if "err" in box:
        raise box["err"]
    return box["out"]


# ---------------------------------------------------------------------------
# The learner's call, and where it went wrong
# ---------------------------------------------------------------------------


def learner_line(fn, tb):
    """'line N of name: code' for the deepest traceback frame in fn's file."""
    code = getattr(fn, "__code__", None) or getattr(inspect.unwrap(fn), "__code__", None)
    if code is None or tb is None:
        return ""
    found = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == code.co_filename:
            found = (frame.f_code.co_name, lineno)
    if found is None:
        return ""
    name, lineno = found
    text = linecache.getline(code.co_filename, lineno).strip()
    where = f"line {lineno - code.co_firstlineno + 1} of {code.co_name}" if name == code.co_name \
        else f"in {name} (line {lineno} of the cell)"
    return f"{where}: {text}" if text else where


def message(err):
    """``str(err)``, or a placeholder when the exception cannot say it (a learner's
    exception class whose ``__str__`` itself raises must not crash the check)."""
    try:
        return str(err)
    except Exception:
        return "(its message could not be shown: its __str__ raised an exception)"


_ESCAPES = {
    SystemExit: "sys.exit() (or exit()) ends a program; a function returns its answer",
    KeyboardInterrupt: "it was interrupted",
}


def run_learner(fn, case, seconds, first):
    """Call the learner's function on copies; return (output, args, kwargs)."""
    args, kwargs = copy.deepcopy((case.args, case.kwargs))
    try:
        with numpy_state():
            out = call_limited(fn, args, kwargs, seconds)
    except TimeLimit:
        raise LearnerError("timeout", f"it ran for more than {seconds:g} s and was stopped "
                           "(an endless loop, or a loop over far too many steps?)") from None
    except LearnerError:
        raise
    except NotImplementedError as err:
        if first:
            raise LearnerError("not attempted", message(err)) from None
        raise LearnerError("exception", f"it raised NotImplementedError({message(err)!r}): "
                           "part of it is not written yet") from None
    except BaseException as err:   # SystemExit and KeyboardInterrupt too: never end the kernel
        line = learner_line(fn, err.__traceback__)
        text = f"it raised {type(err).__name__}"
        text += f": {message(err)}" if message(err) else ""
        why = next((why for cls, why in _ESCAPES.items() if isinstance(err, cls)), "")
        if why:
            text += f" ({why})"
        if line:
            text += f"\n  at {line}"
        raise LearnerError("exception", text) from None
    return out, args, kwargs
