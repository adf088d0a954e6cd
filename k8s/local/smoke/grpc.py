"""grpcurl calls against the published ports, as an operator or the cyzen platform makes them."""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any, Callable


class CallFailed(Exception):
    pass


@dataclass
class Tls:
    """The cyzen platform's side of mutual TLS: the CA the services' certificates chain to, and
    its own client certificate (files)."""

    ca_file: str
    cert_file: str
    key_file: str


@dataclass
class Client:
    grpcurl: str
    secret: str  # the cyzen-platform caller's secret
    tls: Tls | None = None  # None: plaintext
    # The name each published address's certificate is for (its Service's): the host reaches the
    # pods on 127.0.0.1, and grpcurl checks the certificate against this name instead.
    server_names: dict[str, str] = field(default_factory=dict)

    def transport(self, address: str, with_certificate: bool = True) -> list[str]:
        if self.tls is None:
            return ["-plaintext"]
        args = ["-cacert", self.tls.ca_file, "-servername", self.server_names[address]]
        if with_certificate:
            args += ["-cert", self.tls.cert_file, "-key", self.tls.key_file]
        return args

    def call(self, address: str, method: str, body: dict[str, Any], timeout: float = 60,
             transport: list[str] | None = None) -> dict[str, Any]:
        # The secret goes through the environment (-expand-headers), never onto a command line.
        env = dict(os.environ, SMOKE_BEARER=self.secret)
        result = subprocess.run(
            [self.grpcurl, *(self.transport(address) if transport is None else transport),
             "-max-time", str(int(timeout)), "-expand-headers",
             "-H", "authorization: Bearer ${SMOKE_BEARER}", "-d", "@", address, method],
            input=json.dumps(body), capture_output=True, text=True, timeout=timeout + 10, env=env)
        if result.returncode != 0:
            raise CallFailed(f"{method} failed: {result.stderr.strip() or result.stdout.strip()}")
        return json.loads(result.stdout or "{}")


def wait_for(what: str, condition: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    """Polls until condition() is truthy; its last error or falsy answer names the failure."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            last = condition()
            if last:
                return last
        except CallFailed as error:
            last = error
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s (last: {str(last)[:300]})")
        time.sleep(every)
