#!/usr/bin/env python3
"""Attacks a running `pushrelay serve` from loopback, as an unauthenticated sender could, and reports
how the signed pushes sent meanwhile fared. Used by Benchmarks/edge.sh.

  edge-attack.py slow  PORT BODY SIGNATURE [--sockets N] [--pushes N]
      N sockets (reconnecting when closed) each send a request head one byte every 5 s, while N pushes
      are sent, one every 0.5 s: how many are answered 202 within 10 s (GitHub's delivery timeout).
  edge-attack.py bodies PORT BODY SIGNATURE PID [--holders N] [--size BYTES]
      N connections each declare a body of SIZE bytes and send all of it but its last byte, then hold;
      a push is sent while they hold. Reports the process's peak and held RSS, and the holders refused.
"""
import argparse
import asyncio
import time
import uuid


def push_request(body: bytes, signature: str) -> bytes:
    head = (
        "POST /hooks/github HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
        "X-GitHub-Event: push\r\nX-GitHub-Delivery: edge-%s\r\nX-Hub-Signature-256: %s\r\n"
        "Content-Length: %d\r\nConnection: close\r\n\r\n" % (uuid.uuid4(), signature, len(body))
    )
    return head.encode() + body


async def status_of(port: int, request: bytes, timeout: float):
    """The status code, or None when no answer came within `timeout`."""
    try:
        async def exchange():
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            await writer.drain()
            line = await reader.readline()
            writer.close()
            return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None

        return await asyncio.wait_for(exchange(), timeout)
    except (asyncio.TimeoutError, OSError, ValueError, IndexError):
        return None


async def dribbler(port: int, stop: asyncio.Event, counts: dict, body: bool = False):
    head = b"POST /hooks/github HTTP/1.1\r\nHost: relay\r\nX-GitHub-Event: push\r\n"
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(1)
            continue
        counts["opened"] += 1
        try:
            if body:
                # A whole head at once, then its 7,000-byte body a byte at a time.
                writer.write(head + b"X-GitHub-Delivery: dribble\r\nContent-Length: 7000\r\n\r\n")
                await writer.drain()
            for byte in (b"{" * 7000 if body else head * 100):
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    # Closed by the server: reconnect at once, as an attacker would.
                    if await asyncio.wait_for(reader.read(1), 5) == b"":
                        break
                except asyncio.TimeoutError:
                    pass
                if stop.is_set():
                    break
        except OSError:
            pass
        writer.close()


async def slow(args, body: bytes):
    stop = asyncio.Event()
    counts = {"opened": 0}
    bodies = args.mode == "slow-bodies"
    tasks = [asyncio.create_task(dribbler(args.port, stop, counts, bodies)) for _ in range(args.sockets)]
    await asyncio.sleep(6)  # every socket connected and holding a slot before the first push
    latencies = []

    async def one():
        start = time.monotonic()
        status = await status_of(args.port, push_request(body, args.signature), 10)
        latencies.append(time.monotonic() - start if status == 202 else None)

    pushes = []
    for _ in range(args.pushes):
        pushes.append(asyncio.create_task(one()))
        await asyncio.sleep(args.interval)
    await asyncio.gather(*pushes)
    stop.set()
    for task in tasks:
        task.cancel()
    answered = sorted(value for value in latencies if value is not None)
    print(
        "%s sockets=%d connections_opened=%d pushes=%d answered_202_within_10s=%d (%.0f%%) "
        "median_s=%.2f max_s=%.2f"
        % (
            "body-dribblers" if bodies else "slow-clients", args.sockets, counts["opened"], args.pushes, len(answered), 100 * len(answered) / args.pushes,
            answered[len(answered) // 2] if answered else float("nan"), answered[-1] if answered else float("nan"),
        )
    )


def rss_kib(pid: int, field: str) -> int:
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


async def holder(port: int, size: int, results: list, release: asyncio.Event):
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            (
                "POST /hooks/github HTTP/1.1\r\nHost: relay\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: hold\r\n"
                "X-Hub-Signature-256: sha256=%s\r\nContent-Length: %d\r\n\r\n" % ("0" * 64, size)
            ).encode()
        )
        chunk = b"a" * (1 << 20)
        sent = 0
        while sent < size - 1:
            piece = chunk[: min(len(chunk), size - 1 - sent)]
            writer.write(piece)
            await writer.drain()
            sent += len(piece)
        results.append("held")
        await release.wait()
        writer.close()
    except OSError:
        results.append("refused")


async def bodies(args, body: bytes):
    release = asyncio.Event()
    results: list = []
    before = rss_kib(args.pid, "VmRSS")
    tasks = [asyncio.create_task(holder(args.port, args.size, results, release)) for _ in range(args.holders)]
    deadline = time.monotonic() + 120
    while len(results) < args.holders and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    held_rss = rss_kib(args.pid, "VmRSS")
    status = await status_of(args.port, push_request(body, args.signature), 10)
    release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(10)
    print(
        "held-bodies holders=%d size_mib=%d fully_sent=%d refused_or_cut=%d rss_before_mib=%.0f "
        "rss_while_held_mib=%.0f peak_rss_mib=%.0f idle_rss_10s_after_mib=%.0f push_meanwhile=%s"
        % (
            args.holders, args.size >> 20, results.count("held"), args.holders - results.count("held"),
            before / 1024, held_rss / 1024, rss_kib(args.pid, "VmHWM") / 1024, rss_kib(args.pid, "VmRSS") / 1024,
            status,
        )
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["slow", "slow-bodies", "bodies"])
    parser.add_argument("port", type=int)
    parser.add_argument("body")
    parser.add_argument("signature")
    parser.add_argument("pid", type=int, nargs="?", default=0)
    parser.add_argument("--sockets", type=int, default=1100)
    parser.add_argument("--pushes", type=int, default=40)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between two signed pushes")
    parser.add_argument("--holders", type=int, default=100)
    parser.add_argument("--size", type=int, default=25 << 20)
    args = parser.parse_args()
    body = open(args.body, "rb").read()
    asyncio.run(bodies(args, body) if args.mode == "bodies" else slow(args, body))


if __name__ == "__main__":
    main()
