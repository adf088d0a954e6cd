"""Network policies, evaluated on the rendered pods: who may reach whom on which port."""

from __future__ import annotations

import ipaddress

from checks.common import CYZEN_NAMESPACE, GRPC_PORT, Doc
from checks.objects import containers, name_of, namespace_of, pod_labels, pod_spec, selector_matches
from checks.report import Collector, Report



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
