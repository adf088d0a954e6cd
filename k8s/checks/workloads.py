"""Every workload: container hardening, probes, pinned images, known settings, Secret refs;
and a PodDisruptionBudget per Deployment."""

from __future__ import annotations

from typing import Any

from checks.binary import setting_name
from checks.images import image_pinned
from checks.objects import (container_env, containers, is_kintai, name_of, namespace_of, pod_labels,
                            pod_spec, secret_refs, selector_matches)
from checks.overlay import Overlay
from checks.report import Collector, Report


def check_workloads(o: Overlay, c: Collector | Report, ctx: dict[str, Any]) -> None:
    settings_known: set[str] = ctx["settings"]
    templates: dict[str, set[str]] = ctx["secret_templates"]
    guide: str = ctx["guide"]
    p, workloads, configmaps = o.prefix, o.workloads, o.configmaps
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
        for volume, mode in secret_volume_modes(spec):
            # kubelet writes these files as root:root, or root:fsGroup with g+r when the pod has one.
            readable = pod_sc.get("fsGroup") is not None or mode & 0o004 or pod_sc.get("runAsUser") == 0
            c.check(bool(readable), n + f"volume {volume}: files (mode {mode:04o}) readable by the pod's user",
                    "no fsGroup, and the mode gives others no read")
        for secret, key in secret_refs(spec):
            ok = secret in templates and (key is None or key in templates[secret])
            c.check(ok, n + f"Secret {secret}" + (f" key {key}" if key else "") + " has a template in k8s/secrets")
            c.check(secret in guide and (key is None or key in guide),
                    n + f"the deploy guide says how to create Secret {secret}" + (f" ({key})" if key else ""))


def secret_volume_modes(spec: dict[str, Any]) -> list[tuple[str, int]]:
    """(volume, mode) of every file a Secret or ConfigMap volume (or a projection of them) writes."""
    found = []
    for volume in spec.get("volumes") or []:
        for kind in ("secret", "configMap", "projected"):
            source = volume.get(kind)
            if source is None:
                continue
            default = source.get("defaultMode", 0o644)
            items = [item for part in [source, *(source.get("sources") or [])]
                     for sub in [part, part.get("secret") or {}, part.get("configMap") or {}]
                     for item in sub.get("items") or []]
            found += [(volume["name"], item.get("mode", default)) for item in items] or [(volume["name"], default)]
    return found


def check_disruption_budgets(o: Overlay, c: Collector | Report) -> None:
    p, by_kind, deployments = o.prefix, o.by_kind, o.deployments
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
