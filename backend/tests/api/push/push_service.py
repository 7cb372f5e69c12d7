"""A stand-in push service for the Web Push tests, on loopback.

It hands out subscriptions the way a browser's push service does (an endpoint
URL, and the browser's P-256 public key and auth secret, whose private half it
keeps), and takes pushes as a real service would: it checks the VAPID
Authorization header (RFC 8292: an ES256 JWT, signed by the key in `k=`, for
this origin, not expired, valid for at most 24 hours, with a `sub`), then
decrypts the `aes128gcm` body (RFC 8291) with `http_ece`. What it received is
kept per subscription for the test to read.

  GET  /new                 -> {"endpoint", "keys": {"p256dh", "auth"}}
  POST /push/<id>           the push; answered 201, or as /answer told it
  POST /answer/<id>?status=N&times=K  answer the next K pushes with N
  GET  /received/<id>       -> {"pushes": [...decrypted JSON...], "attempts": n,
                                "refused": [reasons]}

Usage: push_service.py PORT
"""

import base64
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


LOCK = threading.Lock()
SUBSCRIPTIONS = {}  # id -> {"key", "auth", "pushes", "attempts", "refused", "answers"}


def check_vapid(header, origin):
    """The reason the Authorization header is not a valid VAPID one, or None."""
    if not header or not header.startswith("vapid "):
        return "no vapid authorization"
    params = dict(part.strip().split("=", 1) for part in header[len("vapid "):].split(","))
    token, key = params.get("t"), params.get("k")
    if not token or not key:
        return "vapid without t= or k="
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(key))
    head, claims, signature = token.split(".")
    if json.loads(unb64(head)).get("alg") != "ES256":
        return "not ES256"
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return "bad signature"
    claims = json.loads(unb64(claims))
    now = time.time()
    if claims.get("aud") != origin:
        return f"aud {claims.get('aud')!r} is not {origin!r}"
    if not now < claims.get("exp", 0) <= now + 24 * 3600 + 60:
        return f"exp {claims.get('exp')} is not within 24 h"
    if not claims.get("sub"):
        return "no sub"
    return None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=None):
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def origin(self):
        return f"http://{self.server.server_address[0]}:{self.server.server_address[1]}"

    def do_GET(self):
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        if parts == ["new"]:
            key = ec.generate_private_key(ec.SECP256R1())
            auth = os.urandom(16)
            ident = b64(os.urandom(9))
            with LOCK:
                SUBSCRIPTIONS[ident] = {"key": key, "auth": auth, "pushes": [], "attempts": 0,
                                        "refused": [], "answers": []}
            public = key.public_key().public_bytes(serialization.Encoding.X962,
                                                   serialization.PublicFormat.UncompressedPoint)
            return self.reply(200, {"endpoint": f"{self.origin()}/push/{ident}",
                                    "keys": {"p256dh": b64(public), "auth": b64(auth)}})
        if len(parts) == 2 and parts[0] == "received" and parts[1] in SUBSCRIPTIONS:
            with LOCK:
                sub = SUBSCRIPTIONS[parts[1]]
                return self.reply(200, {"pushes": list(sub["pushes"]), "attempts": sub["attempts"],
                                        "refused": list(sub["refused"])})
        return self.reply(404)

    def do_POST(self):
        url = urlparse(self.path)
        parts = url.path.strip("/").split("/")
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if len(parts) == 2 and parts[0] == "answer" and parts[1] in SUBSCRIPTIONS:
            query = parse_qs(url.query)
            status, times = int(query["status"][0]), int(query.get("times", ["1"])[0])
            with LOCK:
                SUBSCRIPTIONS[parts[1]]["answers"].extend([status] * times)
            return self.reply(204)
        if len(parts) != 2 or parts[0] != "push" or parts[1] not in SUBSCRIPTIONS:
            return self.reply(404)
        with LOCK:
            sub = SUBSCRIPTIONS[parts[1]]
            sub["attempts"] += 1
            if sub["answers"]:
                return self.reply(sub["answers"].pop(0))
        reason = check_vapid(self.headers.get("Authorization"), self.origin())
        if reason is None and self.headers.get("Content-Encoding") != "aes128gcm":
            reason = "not aes128gcm"
        if reason is None and not self.headers.get("TTL"):
            reason = "no TTL"
        if reason is None:
            try:
                plain = http_ece.decrypt(body, private_key=sub["key"], auth_secret=sub["auth"],
                                         version="aes128gcm")
                payload = json.loads(plain)
            except Exception as error:  # noqa: BLE001 - any failure is the test's finding
                reason = f"cannot decrypt: {error}"
        with LOCK:
            if reason is not None:
                sub["refused"].append(reason)
                return self.reply(400, {"reason": reason})
            sub["pushes"].append(payload)
        return self.reply(201)


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.serve_forever()
