"""asyncio on a virtual clock, to check seedloop's Policy::Fifo against CPython.

The selector never sleeps: asked to wait `timeout` seconds, it moves the fake
clock forward by that much. Everything else is CPython's own event loop.
Usage: python3 virtual_loop.py SCENARIO  (prints one line per event)
       python3 virtual_loop.py --all     (each scenario after a line '== NAME')
The Rust tests run every scenario and compare (sim-tests/asyncio/oracle.rs).
"""
import asyncio
import selectors
import sys


class VirtualSelector(selectors.DefaultSelector):
    def __init__(self, clock):
        super().__init__()
        self.clock = clock

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("deadlock: nothing ready, no timer")
        self.clock[0] += timeout
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self):
        self.clock = [0.0]
        super().__init__(VirtualSelector(self.clock))
        self._clock_resolution = 1e-9

    def time(self):
        return self.clock[0]


def say(msg):
    print(f"{asyncio.get_running_loop().time():.3f} {msg}")


async def three_sleepers():
    async def sleeper(name):
        say(f"{name} start")
        await asyncio.sleep(3)
        say(f"{name} done")
    await asyncio.gather(*(asyncio.create_task(sleeper(n)) for n in "abc"))
    say("main done")


async def ticker_and_delays():
    async def ticker():
        while True:
            say("tick")
            await asyncio.sleep(1)
    async def delay(name):
        await asyncio.sleep(3)
        say(f"{name} done")
    t = asyncio.create_task(ticker())
    d1 = asyncio.create_task(delay("d1"))
    d2 = asyncio.create_task(delay("d2"))
    await d1
    await d2
    say("main done")
    t.cancel()


async def spawn_order():
    async def child(name, n):
        for i in range(n):
            say(f"{name} {i}")
            await asyncio.sleep(0)
    a = asyncio.create_task(child("a", 3))
    b = asyncio.create_task(child("b", 2))
    loop = asyncio.get_running_loop()
    loop.call_soon(say, "callback 1")
    loop.call_later(0, say, "later 0")
    loop.call_soon(say, "callback 2")
    say("main before yield")
    await asyncio.sleep(0)
    say("main after yield")
    await a
    await b
    say("main done")


async def cancel_after_five():
    async def long():
        try:
            say("long start")
            await asyncio.sleep(10)
            say("long done")
        finally:
            say("long cleanup")
    t = asyncio.create_task(long())
    await asyncio.sleep(5)
    t.cancel()
    say("main cancelled it")
    try:
        await t
    except asyncio.CancelledError:
        say("main saw cancelled")


async def wait_for_timeout():
    async def two():
        try:
            await asyncio.sleep(2)
            say("two done")
        finally:
            say("two cleanup")
    try:
        await asyncio.wait_for(asyncio.create_task(two()), 1)
    except asyncio.TimeoutError:
        say("main timeout")
    await asyncio.sleep(5)
    say("main done")


SCENARIOS = {f.__name__: f for f in [three_sleepers, ticker_and_delays, spawn_order,
                                     cancel_after_five, wait_for_timeout]}

def run(scenario):
    """Runs one scenario on a fresh virtual loop."""
    loop = VirtualLoop()
    loop.run_until_complete(scenario())
    loop.close()


def main(scenarios, name):
    """Runs the scenario `name`, or with `--all` every one after a header."""
    if name == "--all":
        for name, scenario in scenarios.items():
            print(f"== {name}")
            run(scenario)
    else:
        run(scenarios[name])


if __name__ == "__main__":
    main(SCENARIOS, sys.argv[1])
