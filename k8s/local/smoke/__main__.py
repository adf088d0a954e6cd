"""The container smoke test: the rendered staging overlay's pods in podman (issue 28).

    PYTHONPATH=k8s/local python3 -m smoke --image IMAGE --postgres-image IMAGE --grpcurl PATH

Run it through k8s/local/smoke.sh, which builds the images and finds the tools. Exit 0 when
every step passed, 1 when one failed, 3 when it did not run (KING OF TIME's restricted hours).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import traceback
from datetime import datetime, timedelta, timezone
from pathlib import Path

from smoke import certs, manifests, podman, probes, scenario, secrets, topology
from smoke.grpc import Client, Tls

ROOT = Path(__file__).resolve().parents[3]
SKIPPED = 3


def restricted_soon(now: datetime, margin: timedelta) -> bool:
    """KING OF TIME refuses employee lists 08:30–10:00 and 17:30–18:30 JST; a run that might
    reach into them cannot match users."""
    jst = now.astimezone(timezone(timedelta(hours=9)))
    for start, end in (((8, 30), (10, 0)), ((17, 30), (18, 30))):
        begin = jst.replace(hour=start[0], minute=start[1], second=0, microsecond=0)
        finish = jst.replace(hour=end[0], minute=end[1], second=0, microsecond=0)
        if begin - margin <= jst < finish:
            return True
    return False


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="smoke", description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True, help="the kintai image built from the Dockerfile")
    parser.add_argument("--postgres-image", required=True, help="stands in for the overlay's postgres image")
    parser.add_argument("--grpcurl", required=True)
    parser.add_argument("--overlay", default=str(ROOT / "k8s/overlays/staging"))
    parser.add_argument("--syncers", type=int, default=2, help="syncer replicas (the overlay has one)")
    parser.add_argument("--keep", action="store_true", help="leave the containers running afterwards")
    return parser.parse_args()


def stand_ins(topology_: manifests.Topology, kintai: str, postgres: str) -> dict[str, str]:
    """The overlay's images by their repository's last name: kintai (the image just built) and
    postgres (Debian's PostgreSQL behind the official image's entrypoint variables)."""
    images = {}
    for workload in topology_.workloads.values():
        for container in workload.pod["spec"]["containers"]:
            image = container["image"]
            name = image.rsplit("/", 1)[-1].split(":")[0].split("@")[0]
            if name in ("kintai", "postgres"):
                images[image] = kintai if name == "kintai" else postgres
    return images


def cyzen_tls(topology_: manifests.Topology, issued: dict[str, dict[str, str]], workdir: Path) -> Tls | None:
    """With TLS on in the overlay's ConfigMap: the CA and the client certificate of the caller
    cyzen-platform (the Certificate whose DNS name auth.caller_sans gives that caller), as
    files for grpcurl. None for a plaintext overlay."""
    config = {key: value for data in topology_.config_maps.values() for key, value in data.items()}
    if "KINTAI__SERVER__TLS__CERT_FILE" not in config:
        return None
    sans = dict(entry.split(":", 1) for entry in config.get("KINTAI__AUTH__CALLER_SANS", "").split(",") if ":" in entry)
    san = sans.get("cyzen-platform")
    certificate = next((c for c in topology_.certificates if san and san in (c["spec"].get("dnsNames") or [])), None)
    if certificate is None:
        raise manifests.ManifestError("TLS is on, but no Certificate is the cyzen-platform caller's (auth.caller_sans)")
    files = issued[certificate["spec"]["secretName"]]
    folder = workdir / "cyzen-platform"
    folder.mkdir(mode=0o700)
    for name, text in files.items():
        (folder / name).write_text(text)
        (folder / name).chmod(0o600)
    return Tls(str(folder / "ca.crt"), str(folder / "tls.crt"), str(folder / "tls.key"))


def main() -> int:
    args = arguments()
    started = time.monotonic()
    if restricted_soon(datetime.now(timezone.utc), timedelta(minutes=6)):
        print("smoke: skipped: KING OF TIME's restricted hours (08:30-10:00, 17:30-18:30 JST) "
              "fall into the next minutes, in which the matcher cannot read employees")
        return SKIPPED
    topology_ = manifests.load(Path(args.overlay), {scenario.SYNCER: args.syncers})
    issued = certs.issue(topology_.certificates, topology_.issuers)
    generated = secrets.generate(args.image, ROOT / "k8s/secrets", topology_.secret_names,
                                 database_host=scenario.POSTGRES, tls=issued)
    workdir = Path(tempfile.mkdtemp(prefix="kintai-smoke-", dir="/var/tmp"))
    running = topology.Running(topology_, generated, stand_ins(topology_, args.image, args.postgres_image),
                               workdir, probes.Context(args.grpcurl, topology.NETWORK))
    report: list[str] = []
    failed = False
    monitor = None

    def step(title: str) -> None:
        print(f"smoke: {title} ({time.monotonic() - started:.0f} s)", flush=True)

    try:
        topology.clean_up_leftovers()
        step(f"starting {sum(w.replicas for w in topology_.workloads.values() if w.kind != 'CronJob')} pods "
             f"of {args.overlay} in namespace {topology_.namespace}")
        topology.start(running)
        ready = topology.wait_ready(running)
        report.append("probes passed (startup, readiness, liveness), seconds after the start: " + ", ".join(
            f"{pod} {seconds:.0f} s" + (f" ({restarts} restarts)" if restarts else "")
            for pod, (seconds, restarts) in ready.items()))
        monitor = probes.Monitor(running.plans, running.context)
        monitor.start()
        caller = generated["kintai-caller-credentials"]["cyzen-platform"]
        client = Client(args.grpcurl, caller, cyzen_tls(topology_, issued, workdir))
        step("grpcurl: company, users, statuses through settings; punches through a syncer")
        punches = scenario.first_delivery(client, scenario.endpoints(running, client, f"{scenario.SYNCER}-0"), report)
        step("TLS: plaintext and certificate-less clients refused")
        scenario.tls_refusals(running, client, report)
        step("a syncer killed mid-run")
        scenario.kill_mid_run(running, client, monitor, punches, report)
        for cronjob in ("kintai-sync", "kintai-match"):
            step(f"CronJob {cronjob}: one Job")
            scenario.cron_job(running, cronjob, report)
        step("self-test: a CronJob whose secret is mounted elsewhere than its setting says")
        scenario.broken_job(running, "kintai-sync", report)
        monitor.stop()
        if monitor.liveness_failures:
            raise AssertionError("liveness probes failed: " + "; ".join(monitor.liveness_failures))
        report.append("liveness and readiness probes passed throughout"
                      + (f" (unready checks: {monitor.unready})" if monitor.unready else ""))
        no_shell = podman.run(["exec", f"smoke_{scenario.SYNCER}-0", "/bin/sh", "-c", "true"], check=False)
        if no_shell.returncode == 0:
            raise AssertionError("the kintai image has a shell")
        leaks = scenario.scan_logs(running, secrets.secret_strings(generated))
        if leaks:
            raise AssertionError("; ".join(leaks))
        report.append(f"logs of {len(running.plans) + len(running.jobs)} containers hold none of "
                      f"{len(secrets.secret_strings(generated)) + 1} secrets")
    except Exception as error:  # noqa: BLE001 - every failure ends in the same report
        failed = True
        print(f"smoke: FAILED: {error}", file=sys.stderr)
        if not isinstance(error, (AssertionError, TimeoutError, manifests.ManifestError)):
            traceback.print_exc()
        for plan in running.plans:
            tail = podman.logs(plan.container_name).strip().splitlines()[-15:]
            print(f"--- {plan.container_name} (last {len(tail)} log lines)", file=sys.stderr)
            print("\n".join(tail), file=sys.stderr)
    finally:
        if monitor:
            monitor.stop()
        if not args.keep:
            topology.stop(running)
            shutil.rmtree(workdir, ignore_errors=True)
    for line in report:
        print(f"smoke: {line}")
    verdict = "FAILED" if failed else "passed"
    print(f"smoke: {verdict} in {time.monotonic() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
