"""The sync tutorial scenarios on CPython's event loop with a virtual clock
(see virtual_loop.py), to check seedloop's Policy::Fifo.
Usage: python3 sync_scenarios.py SCENARIO  (prints one line per event)
       python3 sync_scenarios.py --all     (each scenario after a line '== NAME')
"""
import asyncio
import sys

from virtual_loop import main, say


async def lock_guard_and_explicit():
    lock = asyncio.Lock()

    def unlock():
        say("callback releasing lock")
        lock.release()

    async def coro1():
        say("coro1 waiting for the lock")
        async with lock:
            say("coro1 acquired lock")
        say("coro1 released lock")

    async def coro2():
        say("coro2 waiting for the lock")
        await lock.acquire()
        try:
            say("coro2 acquired lock")
        finally:
            say("coro2 released lock")
            lock.release()

    say("acquiring the lock before starting coroutines")
    await lock.acquire()
    say(f"lock acquired: {lock.locked()}")
    asyncio.get_running_loop().call_later(0.1, unlock)
    say("waiting for coroutines")
    t1 = asyncio.create_task(coro1())
    t2 = asyncio.create_task(coro2())
    await t1
    await t2
    say(f"main done, locked: {lock.locked()}")


async def event_runners():
    start = asyncio.Event()

    def fire():
        say("starter fires")
        start.set()

    async def runner(name, lap):
        say(f"{name} ready")
        await start.wait()
        say(f"{name} off")
        await asyncio.sleep(lap)
        say(f"{name} finished")

    asyncio.get_running_loop().call_later(0.2, fire)
    tasks = [asyncio.create_task(runner(n, lap))
             for n, lap in [("ann", 1.0), ("bob", 0.5), ("cy", 0.75)]]
    say(f"event set: {start.is_set()}")
    for t in tasks:
        await t
    say(f"event set: {start.is_set()}")


async def condition_notify():
    condition = asyncio.Condition()

    async def consumer(n):
        async with condition:
            say(f"consumer {n} is waiting")
            await condition.wait()
            say(f"consumer {n} triggered")
        say(f"ending consumer {n}")

    async def manipulate_condition():
        say("starting manipulate_condition")
        await asyncio.sleep(0.1)
        for i in range(1, 3):
            async with condition:
                say(f"notifying {i} consumers")
                condition.notify(n=i)
            await asyncio.sleep(0.1)
        async with condition:
            say("notifying remaining consumers")
            condition.notify_all()
        say("ending manipulate_condition")

    consumers = [asyncio.create_task(consumer(i)) for i in range(5)]
    m = asyncio.create_task(manipulate_condition())
    for t in consumers:
        await t
    await m


async def condition_wait_for():
    cond = asyncio.Condition()
    items = []

    def two_items():
        say(f"waiter checks: {len(items)} item(s)")
        return len(items) >= 2

    async def waiter():
        async with cond:
            await cond.wait_for(two_items)
            say(f"waiter got {','.join(items)}")

    async def adder(name, delay):
        await asyncio.sleep(delay)
        async with cond:
            items.append(name)
            say(f"{name} added")
            cond.notify_all()

    tasks = [asyncio.create_task(waiter()),
             asyncio.create_task(adder("x", 0.1)),
             asyncio.create_task(adder("y", 0.25))]
    for t in tasks:
        await t


SCENARIOS = {f.__name__: f for f in [lock_guard_and_explicit, event_runners,
                                     condition_notify, condition_wait_for]}

if __name__ == "__main__":
    main(SCENARIOS, sys.argv[1])
