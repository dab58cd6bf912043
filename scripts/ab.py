#!/usr/bin/env python3
"""Interleaved A/B timing of whole commands, for comparing two builds on a noisy machine.

    scripts/ab.py ROUNDS 'NAME=COMMAND' 'NAME=COMMAND' ...

Runs every command once per round, in turn, so that a busy neighbour slows each alike, and
prints per command the median wall time, the fastest round and the median CPU time (user +
system, from getrusage of the children), each also as a ratio to the first command's.
Commands are split like a shell would split them (shlex), without a shell; stdout is dropped.
Example, a build against the one before it:

    cp target/release/trailsift /tmp/before    # then rebuild
    scripts/ab.py 9 "before=/tmp/before scan D --out /tmp/a --force --quiet" \\
                    "after=target/release/trailsift scan D --out /tmp/b --force --quiet"
"""
import resource
import shlex
import statistics
import subprocess
import sys
import time


def main() -> int:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit() or any("=" not in a for a in sys.argv[2:]):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    rounds = int(sys.argv[1])
    commands = [a.split("=", 1) for a in sys.argv[2:]]
    walls = {name: [] for name, _ in commands}
    cpus = {name: [] for name, _ in commands}
    for _ in range(rounds):
        for name, command in commands:
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            subprocess.run(shlex.split(command), check=True, stdout=subprocess.DEVNULL)
            walls[name].append(time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus[name].append(
                after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            )
    first = commands[0][0]
    base_wall = max(statistics.median(walls[first]), 1e-9)
    base_cpu = max(statistics.median(cpus[first]), 1e-9)
    for name, _ in commands:
        wall = statistics.median(walls[name])
        cpu = statistics.median(cpus[name])
        print(
            f"{name:12s} wall {wall:.3f} s ({wall / base_wall:.3f})  "
            f"fastest {min(walls[name]):.3f} s  cpu {cpu:.3f} s ({cpu / base_cpu:.3f})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
