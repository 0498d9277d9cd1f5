"""notify_listen.py SOCKET OUT SECONDS - systemd's side of sd_notify(3) for a test: binds a unix
datagram socket at SOCKET (set it as NOTIFY_SOCKET for the service), appends each message to OUT
as one line (a message's own newlines become ' | ', with the monotonic time received in front)
and exits after SECONDS."""
import os
import socket
import sys
import time

path, out, secs = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
end = time.monotonic() + secs
with open(out, "a", buffering=1) as f:
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            msg = s.recv(4096)
        except socket.timeout:
            break
        text = msg.decode("utf-8", "replace").rstrip("\n").replace("\n", " | ")
        f.write("%.3f %s\n" % (time.monotonic(), text))
os.unlink(path)
