"""Helpers over rendered Kubernetes objects."""

from __future__ import annotations

from typing import Any

from checks.common import WORKLOAD_KINDS, Doc



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
