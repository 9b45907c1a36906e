"""How a text leaves the app: the SmsSender interface and its twilio, console and test backends."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Protocol

import requests
from flask import Flask, current_app
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

TWILIO_API_ORIGIN = "https://api.twilio.com"
# Twilio error codes that mean "never send to this number again" (until something changes).
UNSUBSCRIBED = "21610"
INVALID_NUMBERS = ("21211", "21614")


@dataclass(frozen=True)
class SendResult:
    provider_sid: str
    status: str = "sent"


class SendError(Exception):
    """A send that did not work. `retryable` errors (rate limited, provider down, timeouts) are
    tried again later; the others are final."""

    def __init__(self, code: str, retryable: bool, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.retryable = retryable


class SmsSender(Protocol):
    name: str

    def send(self, to_e164: str, body: str, *, kind: str) -> SendResult:
        """Hand one message to the provider, or raise SendError."""
        ...


def mask_number(e164: str) -> str:
    """+12025550188 -> +1202•••0188: enough to tell numbers apart in a log."""
    return e164[:5] + "•••" + e164[-4:] if len(e164) > 9 else "•••"


class _RebasedHttpClient(TwilioHttpClient):
    """The SDK's own HTTP client, sending to another origin (a local fake provider in tests
    and benchmarks); everything else, from URL building to error parsing, is the SDK's."""

    def __init__(self, origin: str, **kwargs):
        super().__init__(**kwargs)
        self.origin = origin.rstrip("/")

    def request(self, method, url, *args, **kwargs):
        if url.startswith(TWILIO_API_ORIGIN):
            url = self.origin + url[len(TWILIO_API_ORIGIN):]
        return super().request(method, url, *args, **kwargs)


class TwilioSender:
    """The real provider through the official SDK (twilio.rest.Client)."""

    name = "twilio"

    def __init__(self, account_sid: str, auth_token: str, *, from_number: str = "",
                 messaging_service_sid: str = "", status_callback: str | None = None,
                 timeout: float = 10.0, api_origin: str | None = None):
        if not account_sid or not auth_token or not (from_number or messaging_service_sid):
            raise RuntimeError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN "
                               "and TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        http_client = (_RebasedHttpClient(api_origin, timeout=timeout) if api_origin
                       else TwilioHttpClient(timeout=timeout))
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.status_callback = status_callback

    def send(self, to_e164: str, body: str, *, kind: str) -> SendResult:
        options = {"to": to_e164, "body": body}
        if self.messaging_service_sid:
            options["messaging_service_sid"] = self.messaging_service_sid
        else:
            options["from_"] = self.from_number
        if self.status_callback:
            options["status_callback"] = self.status_callback
        try:
            message = self.client.messages.create(**options)
        except TwilioRestException as exc:
            code = str(exc.code) if exc.code else f"http_{exc.status}"
            raise SendError(code, retryable=exc.status == 429 or exc.status >= 500,
                            detail=str(exc.msg)[:200]) from exc
        except requests.Timeout as exc:
            raise SendError("timeout", retryable=True) from exc
        except requests.ConnectionError as exc:
            raise SendError("connection_error", retryable=True) from exc
        return SendResult(provider_sid=message.sid, status=message.status or "sent")


class ConsoleSender:
    """Development: prints each message (its later lines indented under the first) and keeps
    it in memory."""

    name = "console"

    def __init__(self, echo=print):
        self.echo = echo
        self.sent: list[tuple[str, str, str]] = []
        self._lock = threading.Lock()

    def send(self, to_e164: str, body: str, *, kind: str) -> SendResult:
        with self._lock:
            self.sent.append((to_e164, kind, body))
            sid = f"CONSOLE{len(self.sent):026d}"
        text = body.replace("\n", "\n    ")
        self.echo(f"[SMS to {mask_number(to_e164)} · {kind}] {text}", flush=True)
        return SendResult(provider_sid=sid)


@dataclass
class RecordingSender:
    """The test double: records every message; `failures` are raised, in order, first."""

    name: str = "test"
    sent: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[SendError] = field(default_factory=list)

    def send(self, to_e164: str, body: str, *, kind: str) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((to_e164, kind, body))
        return SendResult(provider_sid=f"TEST{len(self.sent):030d}")

    def reset(self) -> None:
        self.sent.clear()
        self.failures.clear()


def build_sender(app: Flask) -> SmsSender:
    config = app.config
    backend = config["SMS_BACKEND"]
    if backend == "twilio":
        base = config["PUBLIC_BASE_URL"].rstrip("/")
        return TwilioSender(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                            from_number=config["TWILIO_FROM"],
                            messaging_service_sid=config["TWILIO_MESSAGING_SERVICE_SID"],
                            status_callback=f"{base}/sms/status",
                            timeout=config["SMS_HTTP_TIMEOUT"],
                            api_origin=config["TWILIO_API_ORIGIN"] or None)
    if backend == "console":
        return ConsoleSender()
    if backend == "test":
        return RecordingSender()
    raise RuntimeError(f"unknown SMS_BACKEND {backend!r}: use twilio, console or test")


def current_sender() -> SmsSender:
    """The app's sender, built once per process."""
    app = current_app._get_current_object()
    sender = app.extensions.get("sms_sender")
    if sender is None:
        sender = app.extensions["sms_sender"] = build_sender(app)
    return sender
