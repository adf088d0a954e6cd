"""One pod of a rendered workload as a `podman run`, with the values of the manifest.

Everything a pod template says is either carried over (command, args, env, envFrom, mounts,
user and groups, read-only root, capabilities, no-new-privileges, resource limits, ports,
restart policy, grace period, hostname, Service names as network aliases), or checked like
kubelet checks it (runAsNonRoot, missing keys), or listed in IGNORED with the reason it does not
matter on one machine. Any other field stops the smoke test, so that a manifest change it
cannot honour is noticed instead of silently dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from smoke import podman, volumes
from smoke.manifests import ManifestError, Topology, Workload
from smoke.quantity import parse_bytes, parse_cpu

Doc = dict[str, Any]

# Fields with no effect on one podman host, and why.
IGNORED = {
    "automountServiceAccountToken": "no API server: there is no token to mount",
    "serviceAccountName": "no API server",
    "topologySpreadConstraints": "scheduling across nodes",
    "affinity": "scheduling across nodes",
    "nodeSelector": "scheduling across nodes",
    "tolerations": "scheduling across nodes",
    "priorityClassName": "scheduling",
    "imagePullPolicy": "the images are local",
    "terminationMessagePolicy": "no API server to report to",
    "lifecycle": "preStop only orders endpoint removal before SIGTERM; there are no endpoints here",
}
POD_FIELDS = {"containers", "securityContext", "volumes", "restartPolicy", "terminationGracePeriodSeconds",
              "enableServiceLinks", "hostname", "subdomain"}
CONTAINER_FIELDS = {"name", "image", "command", "args", "env", "envFrom", "ports", "volumeMounts",
                    "securityContext", "resources", "livenessProbe", "readinessProbe", "startupProbe", "workingDir"}
SECURITY_FIELDS = {"runAsUser", "runAsGroup", "runAsNonRoot", "readOnlyRootFilesystem", "allowPrivilegeEscalation",
                   "capabilities", "seccompProfile", "privileged", "fsGroup", "supplementalGroups"}
RESTART = {"Always": "always", "OnFailure": "on-failure", "Never": "no"}


@dataclass
class Plan:
    """A container to start, and what the smoke test needs to know about it afterwards."""

    pod: str
    workload: Workload
    container_name: str
    run_args: list[str]
    probes: dict[str, Doc]
    ports: dict[str, int]
    volumes: list[str] = field(default_factory=list)


def _check_fields(where: str, doc: Doc, allowed: set[str]) -> None:
    unknown = set(doc) - allowed - set(IGNORED)
    if unknown:
        raise ManifestError(f"{where}: {sorted(unknown)} not emulated by the smoke test (k8s/local/smoke/translate.py)")


def _expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' $(VAR) references in command, args and env values; $$ is a literal $."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), text)


def environment(pod: str, pod_spec: Doc, container: Doc, topology: Topology,
                secrets: dict[str, dict[str, str]]) -> dict[str, str]:
    """The container's environment in Kubernetes' order: service links, envFrom, then env."""
    env: dict[str, str] = {}
    if pod_spec.get("enableServiceLinks", True):
        env.update(topology.service_links())
    for source in container.get("envFrom", []):
        kind = "configMapRef" if "configMapRef" in source else "secretRef"
        ref = source[kind]
        data = (topology.config_maps if kind == "configMapRef" else secrets).get(ref["name"])
        if data is None:
            if ref.get("optional"):
                continue
            raise ManifestError(f"{pod}: envFrom {kind} {ref['name']} does not exist")
        env.update({source.get("prefix", "") + key: value for key, value in data.items()})
    for item in container.get("env", []):
        name = item["name"]
        if "value" in item:
            env[name] = _expand(str(item["value"]), env)
            continue
        source = item.get("valueFrom", {})
        if "secretKeyRef" in source or "configMapKeyRef" in source:
            kind = "secretKeyRef" if "secretKeyRef" in source else "configMapKeyRef"
            ref = source[kind]
            data = (secrets if kind == "secretKeyRef" else topology.config_maps).get(ref["name"], {})
            if ref["key"] in data:
                env[name] = data[ref["key"]]
            elif not ref.get("optional"):
                raise ManifestError(f"{pod}: env {name} wants key {ref['key']!r} of {ref['name']}, which has none")
        elif "fieldRef" in source and source["fieldRef"]["fieldPath"] in ("metadata.name", "metadata.namespace"):
            env[name] = pod if source["fieldRef"]["fieldPath"] == "metadata.name" else topology.namespace
        else:
            raise ManifestError(f"{pod}: env {name} takes its value from {sorted(source)}, not emulated")
    return env


def _security(pod_spec: Doc, container: Doc) -> Doc:
    pod_context = pod_spec.get("securityContext", {})
    container_context = container.get("securityContext", {})
    _check_fields("pod securityContext", pod_context, SECURITY_FIELDS)
    _check_fields("container securityContext", container_context, SECURITY_FIELDS)
    merged = {key: value for key, value in pod_context.items()
              if key in ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile")}
    merged.update(container_context)
    merged["fsGroup"] = pod_context.get("fsGroup")
    merged["supplementalGroups"] = pod_context.get("supplementalGroups", [])
    return merged


def _user(pod: str, security: Doc, image: str) -> list[str]:
    """--user as kubelet would run the container, refusing root under runAsNonRoot as it does."""
    user = security.get("runAsUser")
    if user is None:
        image_user = podman.output(["image", "inspect", "--format", "{{.Config.User}}", image]).strip()
        name = image_user.split(":")[0]
        if security.get("runAsNonRoot") and not name.isdigit():
            raise ManifestError(f"{pod}: runAsNonRoot with image user {image_user!r}: kubelet cannot verify it is not root")
        user = int(name) if name.isdigit() else None
    if security.get("runAsNonRoot") and user == 0:
        raise ManifestError(f"{pod}: runAsNonRoot, but the container would run as root")
    if user is None:
        return []
    group = security.get("runAsGroup")
    return ["--user", f"{user}:{group}" if group is not None else str(user)]


def plan(workload: Workload, pod: str, topology: Topology, secrets: dict[str, dict[str, str]],
         images: dict[str, str], network: str, workdir: Path) -> Plan:
    spec = workload.pod["spec"]
    _check_fields(f"{workload.kind} {workload.name} pod", spec, POD_FIELDS)
    if len(spec["containers"]) != 1 or spec.get("initContainers"):
        raise ManifestError(f"{workload.name}: the smoke test runs pods of exactly one container")
    container = spec["containers"][0]
    _check_fields(f"{workload.name} container {container['name']}", container, CONTAINER_FIELDS)
    image = images.get(container["image"])
    if image is None:
        raise ManifestError(f"{workload.name}: no local stand-in for image {container['image']}")
    security = _security(spec, container)
    if security.get("privileged"):
        raise ManifestError(f"{workload.name}: privileged containers are not emulated")
    container_name = f"smoke_{pod}"
    args = ["run", "--detach", "--name", container_name, "--hostname", spec.get("hostname", pod),
            "--network", network, "--label", "io.kintai.smoke=1",
            "--restart", RESTART[spec.get("restartPolicy", "Always")],
            "--stop-timeout", str(spec.get("terminationGracePeriodSeconds", 30))]
    for alias in topology.aliases_for(workload.labels) + _stateful_aliases(workload, pod, topology):
        args += ["--network-alias", alias]
    args += _user(pod, security, image)
    for group in [security.get("fsGroup"), *security.get("supplementalGroups", [])]:
        if group is not None:
            args += ["--group-add", str(group)]
    if security.get("readOnlyRootFilesystem"):
        # podman's --read-only would add writable tmpfs on /tmp, /run and /var/tmp; kubelet does not.
        args += ["--read-only", "--read-only-tmpfs=false"]
    capabilities = security.get("capabilities", {})
    args += [arg for cap in capabilities.get("drop", []) for arg in ("--cap-drop", cap)]
    args += [arg for cap in capabilities.get("add", []) for arg in ("--cap-add", cap)]
    if security.get("allowPrivilegeEscalation") is False:
        args += ["--security-opt", "no-new-privileges"]
    seccomp = security.get("seccompProfile", {}).get("type", "RuntimeDefault")
    if seccomp == "Unconfined":
        args += ["--security-opt", "seccomp=unconfined"]
    elif seccomp != "RuntimeDefault":
        raise ManifestError(f"{workload.name}: seccompProfile {seccomp} is not emulated")
    limits = container.get("resources", {}).get("limits", {})
    if "memory" in limits:
        args += ["--memory", str(parse_bytes(str(limits["memory"])))]
    if "cpu" in limits:
        args += ["--cpus", f"{parse_cpu(str(limits['cpu'])):.3f}"]
    ports = {}
    for declared in container.get("ports", []):
        number = int(declared["containerPort"])
        ports[declared.get("name", str(number))] = number
        args += ["--publish", f"127.0.0.1::{number}"]
    mount_args, created = volumes.mounts(pod, spec, container, workload.claims,
                                         volumes.Sources(secrets, topology.config_maps), workdir,
                                         security.get("fsGroup"))
    args += mount_args
    env = environment(pod, spec, container, topology, secrets)
    env_file = workdir / "env" / pod
    env_file.parent.mkdir(parents=True, exist_ok=True)
    for name, value in env.items():
        if "\n" in value:
            raise ManifestError(f"{pod}: env {name} holds a newline, which an env file cannot carry")
    env_file.write_text("".join(f"{name}={value}\n" for name, value in env.items()), encoding="utf-8")
    env_file.chmod(0o600)
    args += ["--env-file", str(env_file)]
    if container.get("workingDir"):
        args += ["--workdir", container["workingDir"]]
    if "command" in container:
        args += ["--entrypoint", json.dumps([_expand(part, env) for part in container["command"]])]
    args.append(image)
    args += [_expand(str(part), env) for part in container.get("args", [])]
    probes = {kind: container[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe") if kind in container}
    return Plan(pod, workload, container_name, args, probes, ports, created)


def _stateful_aliases(workload: Workload, pod: str, topology: Topology) -> list[str]:
    """A StatefulSet pod's own name under its governing Service (pod.service[.ns.svc...])."""
    if workload.kind != "StatefulSet":
        return []
    service = workload.service_name
    return [f"{pod}.{service}", f"{pod}.{service}.{topology.namespace}.svc.cluster.local"] if service else []
