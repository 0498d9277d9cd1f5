"""slow_clients.py - a bounded slowloris load on a loopback HTTP port, for the hardening tests.

    slow_clients.py PORT CLIENTS INTERVAL_S DURATION_S [SOURCE_ADDR]

Keeps CLIENTS connections (opening at most 100 a second) to 127.0.0.1:PORT, each sending a request line and then one header line
every INTERVAL_S (never finishing the request); a connection the server closes is reopened.
After DURATION_S everything is closed and one line is printed:
    opened=N refused=N closed_by_server=N max_lifetime_s=X
max_lifetime_s is the longest any connection stayed open while trickling. Loopback only."""
import socket
import sys
import time


def main():
    port, clients, interval, duration = (int(sys.argv[1]), int(sys.argv[2]),
                                         float(sys.argv[3]), float(sys.argv[4]))
    source = sys.argv[5] if len(sys.argv) > 5 else "127.0.0.1"
    conns = []  # [socket, opened_at, next_send]
    opened = refused = closed = 0
    max_life = 0.0
    end = time.monotonic() + duration

    def connect():
        nonlocal opened, refused
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1.0)
        try:
            s.bind((source, 0))
            s.connect(("127.0.0.1", port))
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            refused += 1
            s.close()
            return None
        s.setblocking(False)
        opened += 1
        now = time.monotonic()
        return [s, now, now + interval]

    while time.monotonic() < end:
        fresh = 0
        while len(conns) < clients and fresh < 5 and time.monotonic() < end:
            fresh += 1  # at most 100 new connections a second
            c = connect()
            if c is None:
                time.sleep(0.05)
                break
            conns.append(c)
        now = time.monotonic()
        keep = []
        for c in conns:
            alive = True
            try:
                if c[0].recv(4096) == b"":
                    alive = False
            except BlockingIOError:
                pass
            except OSError:
                alive = False
            if alive and now >= c[2]:
                try:
                    c[0].send(b"X-Slow: %d\r\n" % int(now))
                    c[2] = now + interval
                except OSError:
                    alive = False
            if alive:
                keep.append(c)
            else:
                closed += 1
                max_life = max(max_life, now - c[1])
                c[0].close()
        conns = keep
        time.sleep(0.05)
    now = time.monotonic()
    for c in conns:
        max_life = max(max_life, now - c[1])
        c[0].close()
    print("opened=%d refused=%d closed_by_server=%d max_lifetime_s=%.1f"
          % (opened, refused, closed, max_life))


if __name__ == "__main__":
    main()
