"""The queue tutorial scenarios on CPython's event loop with a virtual clock
(see virtual_loop.py), to check seedloop's Policy::Fifo.
Usage: python3 queue_scenarios.py SCENARIO  (prints one line per event)
       python3 queue_scenarios.py --all     (each scenario after a line '== NAME')
"""
import asyncio
import sys

from virtual_loop import main, say


async def queue_workers():
    sleep_for = [0.3, 0.1, 0.5, 0.2, 0.4, 0.15, 0.25]

    async def worker(name, queue):
        while True:
            s = await queue.get()
            await asyncio.sleep(s)
            queue.task_done()
            say(f"{name} has slept for {s:.2f} seconds")

    queue = asyncio.Queue()
    for s in sleep_for:
        queue.put_nowait(s)
    tasks = [asyncio.create_task(worker(f"worker-{i}", queue)) for i in range(3)]
    started_at = asyncio.get_running_loop().time()
    await queue.join()
    total = asyncio.get_running_loop().time() - started_at
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    say(f"3 workers slept in parallel for {total:.2f} seconds")
    say(f"total expected sleep time: {sum(sleep_for):.2f} seconds")


async def queue_producer_consumer():
    queue = asyncio.Queue(maxsize=2)

    async def producer():
        for i in range(5):
            await queue.put(i)
            say(f"put {i}")
        say("producer done")

    async def consumer():
        while True:
            item = await queue.get()
            say(f"got {item}")
            await asyncio.sleep(0.1)
            queue.task_done()

    c = asyncio.create_task(consumer())
    p = asyncio.create_task(producer())
    await p
    await queue.join()
    say("all done")
    c.cancel()


SCENARIOS = {f.__name__: f for f in [queue_workers, queue_producer_consumer]}

if __name__ == "__main__":
    main(SCENARIOS, sys.argv[1])
