"""The manifests' probes, run the way kubelet runs them: against the pod's own address and port
(not a published one), with the probe's timeout, period and thresholds. gRPC probes are the
standard health Check (plaintext, as kubelet's), made with grpcurl from the health proto
rather than by reflection; exec probes run inside the
container with `podman exec`."""

from __future__ import annotations

import socket
import subprocess
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smoke import podman
from smoke.manifests import ManifestError, container_port
from smoke.translate import Plan

Doc = dict[str, Any]
# Kubelet's probe knows the health service; it does not ask the server by reflection.
HEALTH_PROTO = Path(__file__).resolve().parent / "proto" / "health.proto"


@dataclass
class Context:
    grpcurl: str
    network: str


def check(plan: Plan, probe: Doc, context: Context) -> tuple[bool, str]:
    """One attempt of the probe: (passed, what it saw)."""
    timeout = probe.get("timeoutSeconds", 1)
    spec = plan.workload.pod["spec"]
    try:
        if "exec" in probe:
            result = podman.run(["exec", plan.container_name, *probe["exec"]["command"]],
                                timeout=timeout + 10, check=False)
            return result.returncode == 0, f"exit {result.returncode}"
        address = podman.ip_address(plan.container_name, context.network)
        if "grpc" in probe:
            port = container_port(spec, probe["grpc"]["port"])
            body = '{"service": "%s"}' % probe["grpc"].get("service", "")
            result = subprocess.run(
                [context.grpcurl, "-plaintext", "-connect-timeout", str(timeout), "-max-time", str(timeout),
                 "-import-path", str(HEALTH_PROTO.parent), "-proto", HEALTH_PROTO.name,
                 "-d", body, f"{address}:{port}", "grpc.health.v1.Health/Check"],
                capture_output=True, text=True, timeout=timeout + 10)
            return '"SERVING"' in result.stdout, (result.stdout + result.stderr).strip().replace("\n", " ")[:200]
        if "httpGet" in probe:
            get = probe["httpGet"]
            port = container_port(spec, get["port"])
            if get.get("scheme", "HTTP") != "HTTP" or get.get("httpHeaders"):
                raise ManifestError(f"{plan.pod}: httpGet probes other than plain HTTP are not emulated")
            with urllib.request.urlopen(f"http://{address}:{port}{get.get('path', '/')}", timeout=timeout) as answer:
                return 200 <= answer.status < 400, f"HTTP {answer.status}"
        if "tcpSocket" in probe:
            port = container_port(spec, probe["tcpSocket"]["port"])
            with socket.create_connection((address, port), timeout=timeout):
                return True, "connected"
    except (OSError, KeyError, subprocess.TimeoutExpired, podman.PodmanError) as error:
        # KeyError: a stopped container has no address on the network.
        return False, str(error)[:200]
    raise ManifestError(f"{plan.pod}: a probe of a kind the smoke test does not know: {sorted(probe)}")


def wait_started(plan: Plan, context: Context, slack: float = 1.0) -> float:
    """Waits as kubelet would give the container to start: the startup probe's
    initialDelay + period × failureThreshold (the readiness probe's, with no startup probe).
    Then readiness and liveness must both pass. Returns the seconds it took."""
    started = time.monotonic()
    first = plan.probes.get("startupProbe") or plan.probes.get("readinessProbe")
    if first is None:
        return 0.0
    budget = first.get("initialDelaySeconds", 0) + first.get("periodSeconds", 10) * first.get("failureThreshold", 3)
    deadline = started + budget * slack
    time.sleep(first.get("initialDelaySeconds", 0))
    seen = ""
    while True:
        state = podman.state(plan.container_name)
        if state.get("Running"):
            passed, seen = check(plan, first, context)
            if passed:
                break
        else:
            # Restarted by its restart policy, as kubelet would (without the back-off).
            seen = f"not running (exit {state.get('ExitCode')})"
        if time.monotonic() > deadline:
            raise ProbeFailure(f"{plan.pod}: {probe_name(plan, first)} did not pass within {budget} s: {seen}")
        time.sleep(min(first.get("periodSeconds", 10), 1.0))
    for kind in ("readinessProbe", "livenessProbe"):
        if kind in plan.probes:
            passed, seen = check(plan, plan.probes[kind], context)
            if not passed:
                raise ProbeFailure(f"{plan.pod}: {kind} failed after start: {seen}")
    return time.monotonic() - started


def probe_name(plan: Plan, probe: Doc) -> str:
    return next(kind for kind, value in plan.probes.items() if value is probe)


class ProbeFailure(Exception):
    pass


@dataclass
class Monitor:
    """Runs every liveness and readiness probe at its period while the smoke test works, and
    records what kubelet would have done: a liveness probe failing failureThreshold times in a
    row restarts the container; a failing readiness probe takes the pod out of its Service."""

    plans: list[Plan]
    context: Context
    liveness_failures: list[str] = field(default_factory=list)
    unready: dict[str, int] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _paused: set[str] = field(default_factory=set)

    def pause(self, pod: str) -> None:
        """Stops probing a pod (while the test kills and restarts it)."""
        self._paused.add(pod)

    def resume(self, pod: str) -> None:
        self._paused.discard(pod)

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        due: dict[tuple[str, str], float] = {}
        failures: dict[tuple[str, str], int] = {}
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for plan in self.plans:
                if plan.pod in self._paused:
                    continue
                for kind in ("livenessProbe", "readinessProbe"):
                    probe = plan.probes.get(kind)
                    key = (plan.pod, kind)
                    if probe is None or due.get(key, 0) > now:
                        continue
                    due[key] = now + probe.get("periodSeconds", 10)
                    passed, seen = check(plan, probe, self.context)
                    failures[key] = 0 if passed else failures.get(key, 0) + 1
                    if passed:
                        continue
                    if kind == "readinessProbe":
                        self.unready[plan.pod] = self.unready.get(plan.pod, 0) + 1
                    elif failures[key] == probe.get("failureThreshold", 3):
                        self.liveness_failures.append(f"{plan.pod}: liveness failed {failures[key]} times: {seen}")
