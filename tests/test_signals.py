"""pixsmote._signals: a signal's exception waits while threads are awaited."""

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pixsmote import _signals


@pytest.fixture
def default_ctrl_c():
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c_from_another_thread():
    # What a terminal does, but while the main thread is blocked in a wait.
    signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    time.sleep(0.05)  # let the main thread run the handler mid-wait


def test_ctrl_c_is_held_during_a_wait_and_raised_at_the_checkpoint(default_ctrl_c):
    reached = []
    with pytest.raises(KeyboardInterrupt) as info:
        with _signals.holding_signals(), ThreadPoolExecutor(1) as pool:
            pool.submit(_ctrl_c_from_another_thread).result()
            reached.append("after the wait")
            _signals.checkpoint()
            reached.append("after the checkpoint")
    assert reached == ["after the wait"]
    assert info.traceback[-1].name == "checkpoint"
    # The region put Python's handler back, and nothing stays held.
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    _signals.checkpoint()


def test_a_held_signal_is_raised_when_the_region_ends(default_ctrl_c):
    with pytest.raises(KeyboardInterrupt):
        with _signals.holding_signals():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    _signals.checkpoint()


def test_outside_a_region_the_exception_comes_at_once(default_ctrl_c):
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(1)
    with pytest.raises(RuntimeError, match="now"):
        _signals.deliver(RuntimeError("now"))


def test_only_the_first_of_several_signals_is_kept(default_ctrl_c):
    with pytest.raises(KeyboardInterrupt):
        with _signals.holding_signals():
            _signals.deliver(KeyboardInterrupt())
            _signals.deliver(RuntimeError("second"))
            with _signals.holding_signals():  # nested: the outer one raises
                pass
    _signals.checkpoint()


def test_a_handler_someone_else_installed_is_left_alone():
    def mine(signum, frame):
        pass

    previous = signal.signal(signal.SIGINT, mine)
    try:
        with _signals.holding_signals():
            assert signal.getsignal(signal.SIGINT) is mine
    finally:
        signal.signal(signal.SIGINT, previous)


def test_other_threads_pass_straight_through():
    seen = []

    def work():
        with _signals.holding_signals():
            seen.append(_signals._depth)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert seen == [0]
