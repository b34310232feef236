"""A client that opens an HTTP stream and never reads it (SPEC §22 tests).

Its receive buffer is made tiny before connecting, so the server's writes back up as soon as the
kernel's buffers on both sides are full. Prints `ready` once the request is sent, then holds the
connection until its standard input closes. Usage: python3 stalled-client.py PORT PATH
"""
import socket
import sys

port = int(sys.argv[1])
path = sys.argv[2]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
s.connect(("127.0.0.1", port))
s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n".encode())
print("ready", flush=True)
sys.stdin.read()
s.close()
