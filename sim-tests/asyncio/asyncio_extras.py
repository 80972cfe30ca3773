"""asyncio features beyond the tutorials (nested timeouts, rescheduling a
timeout, a task cancelling itself, context variables, eager tasks) on
CPython's event loop with a virtual clock (see virtual_loop.py), to check
seedloop's Policy::Fifo. The Rust expectations are in
sim-tests/core_timeouts.rs and sim-tests/core_task_extras.rs.
Usage: python3 asyncio_extras.py SCENARIO  (prints one line per event)
"""
import asyncio
import contextvars
import sys

from virtual_loop import VirtualLoop, say


async def nested_timeouts_same_deadline():
    try:
        async with asyncio.timeout(1):
            try:
                async with asyncio.timeout(1):
                    try:
                        await asyncio.sleep(5)
                    finally:
                        say("sleep dropped")
            except TimeoutError:
                say("inner expired")
            except asyncio.CancelledError:
                say("inner passes the cancel on")
                raise
    except TimeoutError:
        say("outer expired")


async def nested_timeouts_inner_first():
    try:
        async with asyncio.timeout(2):
            try:
                async with asyncio.timeout(1):
                    await asyncio.sleep(5)
            except TimeoutError:
                say("inner expired")
            await asyncio.sleep(5)
    except TimeoutError:
        say("outer expired")


async def reschedule_from_inside():
    try:
        async with asyncio.timeout(1) as cm:
            for _ in range(3):
                await asyncio.sleep(0.9)
                say("message")
                cm.reschedule(asyncio.get_running_loop().time() + 1)
            await asyncio.sleep(5)
    except TimeoutError:
        say(f"expired: {cm.expired()}")


async def task_cancels_itself():
    async def worker():
        try:
            say("worker start")
            asyncio.current_task().cancel()
            say("worker goes on until it awaits")
            await asyncio.sleep(1)
            say("never")
        finally:
            say("worker cleanup")
    t = asyncio.create_task(worker())
    try:
        await t
    except asyncio.CancelledError:
        say(f"main saw cancelled: {t.cancelled()}")


request_id = contextvars.ContextVar("request_id", default="-")


async def context_inherited_at_spawn():
    async def child(name):
        say(f"{name} sees {request_id.get()}")
        request_id.set(f"{name}'s")
        await asyncio.sleep(1)
        say(f"{name} sees {request_id.get()}")

    request_id.set("r1")
    a = asyncio.create_task(child("a"))
    request_id.set("r2")
    b = asyncio.create_task(child("b"))
    loop = asyncio.get_running_loop()
    loop.call_soon(lambda: say(f"callback sees {request_id.get()}"))
    request_id.set("r3")
    loop.call_later(0.5, lambda: say(f"timer callback sees {request_id.get()}"))
    await a
    await b
    say(f"main sees {request_id.get()}")


async def eager_tasks():
    async def child(name, sleeps):
        say(f"{name} starts")
        if sleeps:
            await asyncio.sleep(1)
        say(f"{name} ends")
        return name

    say("spawning")
    a = asyncio.create_task(child("a", False))
    say(f"a done at once: {a.done()}")
    b = asyncio.create_task(child("b", True))
    say(f"b done at once: {b.done()}")
    await b
    say("main done")


SCENARIOS = {f.__name__: f for f in [nested_timeouts_same_deadline, nested_timeouts_inner_first,
                                     reschedule_from_inside, task_cancels_itself,
                                     context_inherited_at_spawn, eager_tasks]}

if __name__ == "__main__":
    loop = VirtualLoop()
    if sys.argv[1] == "eager_tasks":
        if not hasattr(asyncio, "eager_task_factory"):
            sys.exit("skipped: eager tasks need Python 3.12 or later")
        loop.set_task_factory(asyncio.eager_task_factory)
    loop.run_until_complete(SCENARIOS[sys.argv[1]]())
