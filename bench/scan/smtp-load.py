#!/usr/bin/env python3
"""smtp-load.py - send N messages of SIZE bytes over C parallel SMTP
connections (several messages per connection) and print the seconds the
sending took.  Used by bench/scan/run; exits 1 if any message was not
accepted with 250.

usage: smtp-load.py HOST PORT RCPT N SIZE CONNECTIONS TOKEN
"""
import smtplib
import sys
import threading
import time

host, port, rcpt, n, size, conns, token = sys.argv[1:8]
port, n, size, conns = int(port), int(n), int(size), int(conns)
line = ("%s filler line for the scan benchmark 0123456789 abcdefghijklmnop\r\n" % token)
body = line * max(1, size // len(line))
errors = []


def worker(idx):
    try:
        s = smtplib.SMTP(host, port, timeout=120)
        s.ehlo("bench.example")
        for i in range(idx, n, conns):
            msg = ("From: bench@example.org\r\nTo: %s\r\nSubject: %s %d\r\n"
                   "Message-ID: <%s-%d@bench.example>\r\n\r\n%s" %
                   (rcpt, token, i, token, i, body))
            refused = s.sendmail("bench@example.org", [rcpt], msg)
            if refused:
                errors.append(str(refused))
        s.quit()
    except Exception as e:  # report, do not hide
        errors.append("%s: %s" % (type(e).__name__, e))


t0 = time.monotonic()
threads = [threading.Thread(target=worker, args=(i,)) for i in range(conns)]
for t in threads:
    t.start()
for t in threads:
    t.join()
elapsed = time.monotonic() - t0
if errors:
    sys.stderr.write("smtp-load: %d errors, first: %s\n" % (len(errors), errors[0]))
    sys.exit(1)
print("%.3f" % elapsed)
