"""Starting and stopping the rendered overlay's pods as podman containers on one network."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from smoke import podman, probes, translate
from smoke.manifests import Topology, Workload
from smoke.translate import Plan

NETWORK = "kintai-smoke"


@dataclass
class Running:
    topology: Topology
    secrets: dict[str, dict[str, str]]
    images: dict[str, str]
    workdir: Path
    context: probes.Context
    plans: list[Plan] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)

    def plan_of(self, pod: str) -> Plan:
        return next(plan for plan in self.plans if plan.pod == pod)

    def pods_of(self, workload: str) -> list[Plan]:
        return [plan for plan in self.plans if plan.workload.name == workload]

    def address(self, pod: str, port: str | int) -> str:
        """127.0.0.1:PORT where the host reaches the pod's named (or numbered) port."""
        plan = self.plan_of(pod)
        number = plan.ports[port] if isinstance(port, str) else port
        return f"127.0.0.1:{podman.published_port(plan.container_name, number)}"


def clean_up_leftovers() -> None:
    """Containers, volumes and the network of an earlier run that was interrupted."""
    names = podman.output(["ps", "--all", "--filter", "label=io.kintai.smoke=1", "--format", "{{.Names}}"]).split()
    podman.remove(names)
    for volume in podman.output(["volume", "ls", "--format", "{{.Name}}"]).split():
        if volume.startswith("smoke-"):
            podman.run(["volume", "rm", "--force", volume], check=False)
    podman.run(["network", "rm", "--force", NETWORK], check=False)


def start(running: Running) -> None:
    """Every Deployment and StatefulSet pod at once, as a rollout of the overlay would."""
    podman.run(["network", "create", NETWORK])
    for workload in running.topology.workloads.values():
        if workload.kind == "CronJob":
            continue
        for pod in workload.pod_names():
            plan = translate.plan(workload, pod, running.topology, running.secrets, running.images, NETWORK,
                                  running.workdir)
            running.volumes += plan.volumes
            running.plans.append(plan)
    for plan in running.plans:
        podman.run(plan.run_args)


def wait_ready(running: Running) -> dict[str, tuple[float, int]]:
    """(seconds from the start until its startup probe, then readiness and liveness, passed;
    restarts meanwhile) of each pod. They all start at once, as in a rollout, so a service may
    restart until PostgreSQL answers, as its pod would."""
    started = time.monotonic()
    ready = {}
    for plan in running.plans:
        probes.wait_started(plan, running.context)
        ready[plan.pod] = (time.monotonic() - started, podman.restart_count(plan.container_name))
    return ready


def run_job(running: Running, workload: Workload, pod: str, timeout: float) -> tuple[int, str]:
    """One Job of a CronJob's template, as `kubectl create job --from=cronjob/NAME POD` makes
    it: (exit code, its log)."""
    plan = translate.plan(workload, pod, running.topology, running.secrets, running.images, NETWORK, running.workdir)
    podman.run(plan.run_args)
    running.jobs.append(plan.container_name)
    deadline = time.monotonic() + timeout
    while podman.state(plan.container_name).get("Running"):
        if time.monotonic() > deadline:
            podman.run(["kill", plan.container_name], check=False)
            raise TimeoutError(f"job {pod} still running after {timeout:.0f} s")
        time.sleep(0.5)
    return int(podman.state(plan.container_name)["ExitCode"]), podman.logs(plan.container_name)


def stop(running: Running) -> None:
    podman.remove([plan.container_name for plan in running.plans] + running.jobs)
    for volume in running.volumes:
        podman.run(["volume", "rm", "--force", volume], check=False)
    podman.run(["network", "rm", "--force", NETWORK], check=False)
