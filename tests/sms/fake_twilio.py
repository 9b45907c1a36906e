"""A local stand-in for Twilio's Messages API, for tests and the benchmark: the real SDK
talks HTTP to it. Answers can be scripted (errors, rate limits, slow answers)."""
from __future__ import annotations

import argparse
import json
import secrets
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Answer:
    status: int = 201
    code: int | None = None  # Twilio error code for errors
    delay: float = 0.0  # seconds to wait before answering (a timeout when long enough)


OK = Answer()


def error(status: int, code: int | None = None, delay: float = 0.0) -> Answer:
    return Answer(status=status, code=code, delay=delay)


class FakeTwilio:
    def __init__(self, latency: float = 0.0):
        self.latency = latency
        self.script: list[Answer] = []  # answers for the next requests, in order
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != "/_stats":
                    self.send_error(404)
                    return
                with fake._lock:
                    bodies = [r["form"].get("Body") for r in fake.requests]
                data = json.dumps({"requests": len(bodies),
                                   "distinct_bodies": len(set(bodies))}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                with fake._lock:
                    answer = fake.script.pop(0) if fake.script else OK
                    fake.requests.append({"path": self.path, "form": form,
                                          "auth": self.headers.get("Authorization", "")})
                time.sleep(fake.latency + answer.delay)
                if answer.status < 300:
                    payload = {"sid": "SM" + secrets.token_hex(16), "status": "queued",
                               "to": form.get("To"), "body": form.get("Body"),
                               "account_sid": self.path.split("/")[3]}
                else:
                    payload = {"code": answer.code, "message": f"fake error {answer.code}",
                               "more_info": "https://www.twilio.com/docs/errors",
                               "status": answer.status}
                data = json.dumps(payload).encode()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 128
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def messages(self) -> list[dict]:
        return [r["form"] for r in self.requests]


if __name__ == "__main__":
    # Run on its own (the benchmark does), so the provider does not share a process with the
    # senders: prints its origin, then serves until stopped.
    parser = argparse.ArgumentParser(description="fake Twilio Messages API")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    server = FakeTwilio(latency=parser.parse_args().latency)
    print(server.origin, flush=True)
    server.server.serve_forever()
