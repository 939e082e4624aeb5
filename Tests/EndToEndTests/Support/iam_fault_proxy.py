#!/usr/bin/env python3
"""A fault proxy in front of an IAM endpoint, for tests: it makes IAM's eventual
consistency visible, which moto (always consistent) never shows.

After a successful CreateUser or CreateGroup for NAME, the next N requests that name it
(UserName=NAME / GroupName=NAME, whatever the action, except the creation itself) answer
`NoSuchEntity` (HTTP 404), as IAM does for seconds after creating an entity. Everything else
is forwarded unchanged, Host header included, so SigV4 signatures still verify.

usage: iam_fault_proxy.py UPSTREAM_URL N [user/NAME|group/NAME ...]
       (prints the port it listens on, then serves; the names listed start with N failures,
       as if just created)
"""
import http.client, http.server, sys, threading, urllib.parse

UPSTREAM = urllib.parse.urlparse(sys.argv[1])
FAILURES = int(sys.argv[2])
pending = {name: FAILURES for name in sys.argv[3:]}  # "user/NAME" -> remaining NoSuchEntity answers
lock = threading.Lock()

NO_SUCH_ENTITY = """<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <Error><Type>Sender</Type><Code>NoSuchEntity</Code><Message>The {kind} with name {name} cannot be found.</Message></Error>
  <RequestId>fault-proxy</RequestId>
</ErrorResponse>"""


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        form = urllib.parse.parse_qs(body.decode())
        action = form.get("Action", [""])[0]
        targets = [("user", n) for n in form.get("UserName", [])] + [("group", n) for n in form.get("GroupName", [])]
        if action not in ("CreateUser", "CreateGroup"):
            with lock:
                for kind, name in targets:
                    key = f"{kind}/{name}"
                    if pending.get(key, 0) > 0:
                        pending[key] -= 1
                        data = NO_SUCH_ENTITY.format(kind=kind, name=name).encode()
                        self.send_response(404)
                        self.send_header("Content-Type", "text/xml")
                        self.send_header("Content-Length", str(len(data)))
                        self.end_headers()
                        self.wfile.write(data)
                        return
        status, headers, data = self.forward("POST", body)
        if status == 200 and action in ("CreateUser", "CreateGroup"):
            with lock:
                for kind, name in targets:
                    pending[f"{kind}/{name}"] = FAILURES
        self.reply(status, headers, data)

    def do_GET(self):
        self.reply(*self.forward("GET", None))

    def forward(self, method, body):
        connection = http.client.HTTPConnection(UPSTREAM.hostname, UPSTREAM.port, timeout=30)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
        connection.request(method, self.path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        result = (response.status, [(k, v) for k, v in response.getheaders()
                                    if k.lower() not in ("transfer-encoding", "connection", "content-length")], data)
        connection.close()
        return result

    def reply(self, status, headers, data):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
print(server.server_address[1], flush=True)
# Stop when the test process (our parent) goes away.
parent = __import__("os").getppid()
def watch():
    import os, time
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
server.serve_forever()
