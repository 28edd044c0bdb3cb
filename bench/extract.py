"""The full pseudonymised extract through gunicorn, with the serving worker's memory (issue 12, "Memory
that stays flat": every case of the force streamed in under 30 s with a worker below 300 MB, and the
worker back to its baseline afterwards).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/oh_f_bench .venv/bin/python bench/extract.py \
        [--requests 3] [--query "opened_from=2026-10-01&opened_to=2026-10-31"] [--json FILE]

It starts gunicorn as ``bench/run.py`` does (``gunicorn.conf.py``, production settings, the same
``Server``; no migrations or static files: run ``bench/run.py`` once first), signs in as the demo's
analyst, and downloads ``/reports/extract.csv`` (everything unless ``--query``) ``--requests`` times,
one after another, reading the body as it arrives. Meanwhile it reads every worker's resident memory
(``VmRSS`` in /proc/<pid>/status) every 20 ms. For each download it prints the seconds to the first
and the last byte, the rows and megabytes received, the serving worker's CPU seconds (which depend
less on the machine's load than the elapsed time) and its memory before, at its peak and a second
after. ``--json`` writes the same as a list of objects (keys: status, seconds, first_byte_seconds,
rows, bytes, worker_pid, worker_cpu_seconds, rss_before_mb, rss_peak_mb, rss_after_mb, hwm_after_mb).
"""

import argparse
import contextlib
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402 (bench/run.py, beside this file)
    DEFAULT_DATABASE_URL,
    WORK,
    Browser,
    Server,
    production_environment,
)

ANALYST = "analyst@fenshire-opcc.example"


def workers_of(master_pid: int) -> list[int]:
    """gunicorn's worker processes: the master's children."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{master_pid}\n" in status:
                children.append(int(entry.name))
    return sorted(children)


def memory_mb(pid: int, field: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """The process's CPU time so far (user and system), which depends little on the machine's load."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Sampler(threading.Thread):
    """Every worker's resident memory, every 20 ms, the highest seen per worker since ``reset``."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.peaks, self.running = pids, {}, True
        self.reset()

    def reset(self):
        self.peaks = {pid: memory_mb(pid) for pid in self.pids}

    def run(self):
        while self.running:
            for pid in self.pids:
                with contextlib.suppress(OSError):  # a worker restarted
                    self.peaks[pid] = max(self.peaks[pid], memory_mb(pid))
            time.sleep(0.02)


def download(browser: Browser, path: str) -> dict:
    """One GET read to its end in 64 KB pieces: seconds to the first and the last byte, rows, bytes."""
    connection = http.client.HTTPConnection("127.0.0.1", browser.port, timeout=600)
    started = time.perf_counter()
    connection.request("GET", path, headers=browser.headers())
    response = connection.getresponse()
    first = None
    size = lines = 0
    while chunk := response.read(65536):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    connection.close()
    return {
        "status": response.status,
        "seconds": round(seconds, 2),
        "first_byte_seconds": round(first or seconds, 2),
        "rows": max(0, lines - 1),  # the header is not a row
        "bytes": size,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3, help="Downloads, one after another.")
    parser.add_argument("--query", default="", help="A filter (query string); none: all.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=60, help="Worker timeout, s (production's).")
    parser.add_argument("--json", help="Also write the results to this file.")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL") or DEFAULT_DATABASE_URL
    WORK.mkdir(parents=True, exist_ok=True)
    env = production_environment(database_url)
    os.environ.update(env)
    import django

    django.setup()
    from offenderhub.core.demo import DEMO_PASSWORD

    path = "/reports/extract.csv" + (f"?{args.query}" if args.query else "")
    results = []
    with Server(env, workers=args.workers, timeout=args.timeout) as server:
        browser = Browser(server.port)
        browser.sign_in(ANALYST, DEMO_PASSWORD)
        browser.get("/reports/extract.csv?opened_from=2999-01-01")  # warm: imports, connection, no rows
        time.sleep(1)
        pids = workers_of(server.process.pid)
        sampler = Sampler(pids)
        sampler.start()
        for n in range(1, args.requests + 1):
            before = {pid: memory_mb(pid) for pid in pids}
            cpu = {pid: cpu_seconds(pid) for pid in pids}
            sampler.reset()
            result = download(browser, path)
            time.sleep(1)
            after = {pid: memory_mb(pid) for pid in pids}
            # The worker that served it is the one whose memory rose most.
            pid = max(pids, key=lambda p: sampler.peaks[p] - before[p])
            result |= {
                "worker_pid": pid,
                "worker_cpu_seconds": round(cpu_seconds(pid) - cpu[pid], 2),
                "rss_before_mb": round(before[pid], 1),
                "rss_peak_mb": round(sampler.peaks[pid], 1),
                "rss_after_mb": round(after[pid], 1),
                "hwm_after_mb": round(memory_mb(pid, "VmHWM"), 1),
            }
            results.append(result)
            print(
                f"extract {n}/{args.requests} ({urllib.parse.unquote(path)}): {result['status']}, "
                f"{result['seconds']} s (first byte {result['first_byte_seconds']} s), "
                f"{result['rows']:,} rows, worker CPU {result['worker_cpu_seconds']} s, "
                f"{result['bytes'] / 1048576:.1f} MB; worker {pid}: {result['rss_before_mb']} MB before, "
                f"{result['rss_peak_mb']} MB at peak, {result['rss_after_mb']} MB after "
                f"(high-water mark {result['hwm_after_mb']} MB)"
            )
        sampler.running = False
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
