#!/usr/bin/env python3
# order_time.py -- bench/e2e's "where an order's time goes": the workers' /metrics, as the mean seconds per issue_order job spent in ACME requests and in waits by reason.
#
# Usage: order_time.py SCRAPE...   (one /metrics scrape per worker)
#
# The counts are since the workers started. bench/e2e scrapes only after a
# run: a worker's first scrape starts the Kafka client that measures its
# lag, which would then idle through the run's CPU count.
#
# The job is the time from the job taken off Kafka to its result handed to
# the producer (certfleet_job_duration_seconds{kind="issue_order"}); the
# requests are every ACME transfer the workers made meanwhile
# (certfleet_acme_request_duration_seconds), the waits the timers between
# an operation's requests (certfleet_acme_wait_seconds, by reason). One
# operation's requests and waits follow one another, so their sums per job
# add up within it; what is left is the worker's own work, its Redis calls,
# and jobs whose requests went to other kinds (renewalInfo, accounts).
import re
import sys

SAMPLE = re.compile(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def read(paths):
    """Sums each (name, labels) sample over the files."""
    out = {}
    for path in paths:
        with open(path) as f:
            for line in f:
                m = SAMPLE.match(line.rstrip("\n"))
                if not m or line.startswith("#"):
                    continue
                key = (m.group(1), tuple(sorted(LABEL.findall(m.group(2) or ""))))
                out[key] = out.get(key, 0.0) + float(m.group(3))
    return out


def total(scrape, name, **want):
    return sum(v for (n, labels), v in scrape.items()
               if n == name and all(dict(labels).get(k) == w for k, w in want.items()))


def main(argv):
    if not argv:
        sys.exit("usage: order_time.py SCRAPE...")
    scrape = read(argv)
    jobs = total(scrape, "certfleet_job_duration_seconds_count", kind="issue_order")
    if jobs <= 0:
        print("  an order's time: no issue_order job finished")
        return
    job = total(scrape, "certfleet_job_duration_seconds_sum", kind="issue_order") / jobs
    req = total(scrape, "certfleet_acme_request_duration_seconds_sum") / jobs
    reasons = sorted({dict(labels).get("reason") for (n, labels) in scrape
                      if n == "certfleet_acme_wait_seconds_sum"} - {None})
    waits = [(r, total(scrape, "certfleet_acme_wait_seconds_sum", reason=r) / jobs) for r in reasons]
    waits = [(r, s) for r, s in waits if s >= 0.0005]
    waits.sort(key=lambda w: -w[1])
    rest = job - req - sum(s for _, s in waits)
    print("  an order's time (workers' metrics, mean of %d issue_order jobs): %.3f s = requests %.3f s"
          " + waits %s + the rest %.3f s" % (
              jobs, job, req,
              " ".join("%s %.3f" % (r, s) for r, s in waits) or "none", rest))


if __name__ == "__main__":
    main(sys.argv[1:])
