#!/usr/bin/env python3
# perf_top.py -- bench/e2e --profile's summary: where each certfleet daemon's sampled CPU went, from `perf script` on stdin.
#
# Usage: perf script -F pid,ip,sym,dso -i FILE | perf_top.py NAME=PID...
#
# Reads the call-graph samples of `perf record --call-graph dwarf` (one
# header line with the pid, then one line per frame, leaf first, then a
# blank line) and prints for each NAME (its PIDs' samples together, every
# thread counted):
#   - by library: the share of samples whose leaf frame is in each shared
#     object (the kernel, libcrypto, libc...), the largest first;
#   - inclusive: the share of samples with each of certfleet's own functions
#     anywhere on the stack (each counted once a sample), the largest first,
#     leaving out those on nearly every stack (main loops) and main.
# A sample whose stack could not be unwound still counts in its library.
import collections
import os
import re
import sys

TOP_LIBS = 6
TOP_FUNCS = 14
LOOP_SHARE = 0.9  # a function on more stacks than this is a main loop
SKIP = {'main', '_start'}

FRAME = re.compile(r'^\s+[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$')


def read_samples(stream):
    """Yields (pid, [(symbol, object)...]) per sample, leaf frame first."""
    pid, frames = None, []
    for line in stream:
        if not line.strip():
            if pid is not None:
                yield pid, frames
            pid, frames = None, []
            continue
        if line.strip().isdigit():  # a sample's header: its pid, padded
            pid, frames = int(line), []
            continue
        m = FRAME.match(line)
        if m:
            sym = re.sub(r'\+0x[0-9a-f]+$', '', m.group(1))
            frames.append((sym, os.path.basename(m.group(2))))
    if pid is not None:
        yield pid, frames


def library(obj):
    if obj.startswith('[kernel'):
        return 'kernel'
    return re.sub(r'\.so[.0-9]*$', '', obj) or '?'


def main(argv):
    names = {}
    for arg in argv:
        name, _, pid = arg.partition('=')
        if not pid.isdigit():
            sys.exit('perf_top.py: arguments are NAME=PID, not %r' % arg)
        names[int(pid)] = name
    order = list(dict.fromkeys(names.values()))
    total = collections.Counter()
    libs = collections.defaultdict(collections.Counter)
    funcs = collections.defaultdict(collections.Counter)
    for pid, frames in read_samples(sys.stdin):
        name = names.get(pid)
        if name is None or not frames:
            continue
        total[name] += 1
        # an inlined leaf is in the object of the frame it was inlined in
        leaf = next((obj for _, obj in frames if obj != 'inlined'), '?')
        libs[name][library(leaf)] += 1
        seen = {sym for sym, obj in frames
                if obj.startswith('certfleet-') and not sym.startswith('[')
                and sym not in SKIP}
        for sym in seen:
            funcs[name][sym] += 1
    for name in order:
        n = total[name]
        if n == 0:
            print('  profile %s: no samples' % name)
            continue
        lib = '  '.join('%s %d%%' % (k, round(100 * v / n))
                        for k, v in libs[name].most_common(TOP_LIBS))
        fn = [(k, v) for k, v in funcs[name].most_common()
              if v <= LOOP_SHARE * n][:TOP_FUNCS]
        print('  profile %s (%d samples): by library: %s' % (name, n, lib))
        print('    inclusive: %s' % '  '.join(
            '%s %d%%' % (k, round(100 * v / n)) for k, v in fn))


if __name__ == '__main__':
    main(sys.argv[1:])
