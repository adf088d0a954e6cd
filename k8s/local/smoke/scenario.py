"""The smoke test's steps after the pods are ready (issue 28, "What it proves")."""

from __future__ import annotations

import copy
import json
import os
import signal
from datetime import datetime, timezone

from smoke import flow, podman, probes, topology
from smoke.grpc import CallFailed, Client, wait_for
from smoke.topology import Running

POSTGRES = "kintai-postgres"
SYNCER = "kintai-syncer"


def endpoints(running: Running, client: Client, syncer_pod: str) -> flow.Endpoints:
    """Where the host reaches settings, the matcher, one syncer and the simulator; the client
    learns the name each one's certificate is for."""
    addresses = []
    for pod in ("kintai-settings-0", "kintai-matcher-0", syncer_pod):
        address = running.address(pod, "grpc")
        client.server_names[address] = running.topology.service_name(running.plan_of(pod).workload.labels)
        addresses.append(address)
    return flow.Endpoints(*addresses, f"http://{running.address('kot-sim-0', 'http')}")


def tls_refusals(running: Running, client: Client, log: list[str]) -> None:
    """With TLS on, every service port refuses a plaintext client and a client without a
    certificate of the cluster's CA: so the calls that worked between the pods were mutual TLS."""
    if client.tls is None:
        log.append("TLS is off in the overlay: plaintext between the pods")
        return
    pods = [plan.pod for plan in running.plans if "grpc" in plan.ports and plan.workload.name.startswith("kintai-")]
    for pod in pods:
        address = running.address(pod, "grpc")
        client.server_names[address] = running.topology.service_name(running.plan_of(pod).workload.labels)
        for label, transport in (("plaintext", ["-plaintext"]),
                                 ("TLS without a client certificate", client.transport(address, False))):
            try:
                client.call(address, "grpc.health.v1.Health/Check", {}, timeout=5, transport=transport)
            except CallFailed:
                continue
            raise AssertionError(f"{pod} answered a {label} call on its gRPC port")
    log.append(f"mutual TLS: the gRPC ports of {len(pods)} pods refuse plaintext and certificate-less clients; "
               "every call between the pods and from grpcurl above presented a certificate of the overlay's CA")


def first_delivery(client: Client, points: flow.Endpoints, log: list[str]) -> list[dict]:
    """Company set up through settings, matched by the matcher's dispatcher, punches recorded
    through a syncer and delivered by a dispatcher; a resend is answered DUPLICATE."""
    flow.set_up_company(client, points)
    flow.wait_matched(client, points)
    now = datetime.now(timezone.utc)
    punches = [flow.punch("p1", "u1", "s1", 90, now), flow.punch("p2", "u1", "s5", 85, now),
               flow.punch("p3", "u2", "s1", 80, now)]
    answer = flow.record(client, points, punches)
    if answer.get("accepted") != 3:
        raise AssertionError(f"RecordPunches accepted {answer.get('accepted')} of 3: {answer}")
    again = flow.record(client, points, punches)
    if again.get("duplicates") != 3:
        raise AssertionError(f"a resend was not answered DUPLICATE three times: {again}")
    log.append(flow.wait_delivered(client, points, punches, timeout=90))
    return punches


def lease_holder(running: Running) -> str:
    postgres = running.pods_of(POSTGRES)[0].container_name
    return podman.output(["exec", postgres, "psql", "-U", "kintai", "-d", "kintai", "-Atc",
                          f"SELECT holder FROM syncer_leases WHERE company_id = '{flow.COMPANY}'"]).strip()


def kill_mid_run(running: Running, client: Client, monitor: probes.Monitor, earlier: list[dict],
                 log: list[str]) -> None:
    """KING OF TIME slowed to 1.5 s an answer, six punches recorded; the syncer pod holding the
    company's lease is SIGKILLed once some (not all) are stored. Its container is started again
    by the restart policy, passes its probes, and the company settles with every punch in KING
    OF TIME once."""
    syncers = [plan.pod for plan in running.pods_of(SYNCER)]
    points = endpoints(running, client, syncers[0])
    flow.sim(points, "PUT", "/_admin/latency", {"millis": 1500})
    now = datetime.now(timezone.utc)
    batch = [flow.punch("p4", "u1", "s3", 70, now), flow.punch("p5", "u1", "s4", 60, now),
             flow.punch("p6", "u2", "s3", 55, now), flow.punch("p7", "u2", "s4", 45, now),
             flow.punch("p8", "u1", "s2", 30, now), flow.punch("p9", "u2", "s2", 20, now)]
    before = sum(flow.stored(points).values())
    flow.record(client, points, batch)

    def mid_run() -> str | None:
        holder, stored = lease_holder(running), sum(flow.stored(points).values()) - before
        return holder if holder and 1 <= stored < len(batch) - 1 else None
    holder = wait_for("a syncer run holding the lease with some punches stored", mid_run, timeout=60, every=0.2)
    victim = next((pod for pod in syncers if holder.startswith(f"{pod}-")), None)
    if victim is None:
        raise AssertionError(f"lease holder {holder!r} names none of the syncer pods {syncers}")
    plan = running.plan_of(victim)
    restarts = podman.restart_count(plan.container_name)
    monitor.pause(victim)
    stored_at_kill = sum(flow.stored(points).values()) - before
    # SIGKILL to the process, as the OOM killer or a node failure would: the container's
    # restart policy (the pod's restartPolicy: Always) starts it again.
    os.kill(int(podman.state(plan.container_name)["Pid"]), signal.SIGKILL)
    flow.sim(points, "PUT", "/_admin/latency", {"millis": 0})
    wait_for(f"{victim} started again", lambda: podman.restart_count(plan.container_name) > restarts
             and podman.state(plan.container_name).get("Running"), timeout=60, every=0.5)
    took = probes.wait_started(plan, running.context)
    monitor.resume(victim)
    survivor = endpoints(running, client, next(pod for pod in syncers if pod != victim) if len(syncers) > 1 else victim)
    settled = flow.wait_delivered(client, survivor, earlier + batch, timeout=150)
    log.append(f"killed {victim} (SIGKILL) with {stored_at_kill} of {len(batch)} punches stored; "
               f"restarted and ready in {took:.1f} s; {settled}")


def cron_job(running: Running, cronjob: str, report: list[str]) -> None:
    """The CronJob's Job runs once with its own caller secret and exits 0; its last log line
    says what it did."""
    code, log = topology.run_job(running, running.topology.workload(cronjob), f"{cronjob}-manual", timeout=180)
    if code != 0:
        raise AssertionError(f"job {cronjob} exited {code}: {log.strip()[-800:]}")
    report.append(f"job {cronjob}: exit 0; it logged: {last_message(log)}")


def broken_job(running: Running, cronjob: str, report: list[str]) -> None:
    """The smoke test's own check: the same Job with its credential volume mounted at another
    path than KINTAI__AUTH__SECRET_FILE names must fail (exit 64), so a wrong path or setting
    name in a manifest cannot pass unnoticed."""
    workload = copy.deepcopy(running.topology.workload(cronjob))
    container = workload.pod["spec"]["containers"][0]
    for mount in container["volumeMounts"]:
        mount["mountPath"] = mount["mountPath"] + "-elsewhere"
    code, log = topology.run_job(running, workload, f"{cronjob}-broken", timeout=60)
    if code != 64:
        raise AssertionError(f"job {cronjob} with its secret mounted elsewhere exited {code}, not 64: {log[-400:]}")
    report.append(f"self-test: {cronjob} with its secret mounted elsewhere exits 64: {last_message(log)}")


def last_message(log: str) -> str:
    """The message of the last JSON log line (the binary's own), else the last line."""
    for line in reversed(log.strip().splitlines()):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        fields = record.get("fields", {})
        rest = ", ".join(f"{key}={value}" for key, value in fields.items() if key != "message")
        return f"{fields.get('message', '')}" + (f" ({rest})" if rest else "")
    return log.strip().splitlines()[-1] if log.strip() else "(nothing)"


def scan_logs(running: Running, secrets: list[str]) -> list[str]:
    """Every container's log (the restarted one's earlier life included), searched for every
    secret the smoke test generated and the KING OF TIME token."""
    leaks = []
    names = [plan.container_name for plan in running.plans] + running.jobs
    for name in names:
        text = podman.logs(name)
        for secret in [*secrets, flow.KOT_TOKEN]:
            if secret and secret in text:
                leaks.append(f"{name}'s log holds a secret ({secret[:4]}…)")
    return leaks

