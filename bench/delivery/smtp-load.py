#!/usr/bin/env python3
"""smtp-load.py - send many messages over SMTP with N concurrent senders.

Used by tests/fault/20-delivery-fault.sh and bench/delivery/run.
Input (stdin): one "RECIPIENT ID" per line.  Each message carries ID in
its subject and body and is padded to --size bytes.  A temporary failure
(4xx, refused or dropped connection) is retried, as a real sending MTA
would, until --give-up seconds have passed; a 5xx is final.
Output: "accepted N rejected N gave_up N seconds S" on stdout, and the
accepted IDs in --accepted FILE.
"""
import argparse
import smtplib
import socket
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--senders", type=int, default=10)
    ap.add_argument("--size", type=int, default=10240)
    ap.add_argument("--give-up", type=float, default=600)
    ap.add_argument("--accepted", required=True)
    ap.add_argument("--sender", default="load@example.org")
    args = ap.parse_args()

    jobs = [l.split() for l in sys.stdin if l.strip()]
    lock = threading.Lock()
    stats = {"accepted": 0, "rejected": 0, "gave_up": 0}
    accepted = []
    pad_line = "x" * 76 + "\r\n"

    def body(mid):
        head = ("From: %s\r\nSubject: load %s\r\nMessage-ID: <%s@load.test>\r\n\r\n%s\r\n"
                % (args.sender, mid, mid, mid))
        need = max(0, args.size - len(head))
        return head + pad_line * (need // len(pad_line))

    def worker(chunk):
        conn = None
        for rcpt, mid in chunk:
            deadline = time.time() + args.give_up
            msg = body(mid)
            while True:
                try:
                    if conn is None:
                        conn = smtplib.SMTP(args.host, args.port, timeout=60)
                        conn.ehlo("load.test.example")
                    conn.sendmail(args.sender, [rcpt], msg)
                    with lock:
                        stats["accepted"] += 1
                        accepted.append(mid)
                    break
                except smtplib.SMTPRecipientsRefused as e:
                    code = list(e.recipients.values())[0][0]
                    final = code >= 500
                except smtplib.SMTPResponseException as e:
                    final = e.smtp_code >= 500
                except (smtplib.SMTPException, OSError, socket.timeout):
                    final = False
                    try:
                        if conn is not None:
                            conn.close()
                    except Exception:
                        pass
                    conn = None
                if conn is not None:
                    try:
                        conn.rset()
                    except Exception:
                        conn = None
                if final:
                    with lock:
                        stats["rejected"] += 1
                    break
                if time.time() > deadline:
                    with lock:
                        stats["gave_up"] += 1
                    break
                time.sleep(0.5)
        if conn is not None:
            try:
                conn.quit()
            except Exception:
                pass

    start = time.time()
    threads = []
    for i in range(args.senders):
        t = threading.Thread(target=worker, args=(jobs[i::args.senders],))
        t.start()
        threads.append(t)
    for t in threads:
        t.join()
    with open(args.accepted, "w") as f:
        for mid in accepted:
            f.write(mid + "\n")
    print("accepted %d rejected %d gave_up %d seconds %.2f"
          % (stats["accepted"], stats["rejected"], stats["gave_up"], time.time() - start))


if __name__ == "__main__":
    main()
