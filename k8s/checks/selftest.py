"""Self-test: breaks copies of the rendered objects on purpose; each break must be caught."""

from __future__ import annotations

import base64
import copy
from typing import Any, Callable

from checks.common import GRPC_PORT, Doc
from checks.invariants import check_set
from checks.objects import namespace_of, pod_spec, serve_target
from checks.report import Collector, Report



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
    ("trigger pod without fsGroup (its 0440 secret unreadable)", "readable by the pod's user",
     lambda d: pod_spec(find(d, "CronJob", by_run("sync")))["securityContext"].pop("fsGroup")),  # type: ignore[index]
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
    ("syncer probed on the TLS port, which kubelet cannot speak", "health-only port",
     lambda d: first_container(find(d, "Deployment", by_serve("syncer")))["livenessProbe"].update(
         grpc={"port": GRPC_PORT})),
    ("settings allowed to serve plaintext", "no plaintext",
     lambda d: first_container(find(d, "Deployment", by_serve("settings"))).setdefault("env", []).append(
         {"name": "KINTAI__SERVER__ALLOW_PLAINTEXT", "value": "true"})),
    ("matcher without its certificate mounted", "TLS on",
     lambda d: first_container(find(d, "Deployment", by_serve("matcher"))).update(
         volumeMounts=[m for m in first_container(find(d, "Deployment", by_serve("matcher")))["volumeMounts"]
                       if m["name"] != "tls"])),
    ("sync CronJob calling the syncer in plaintext", "https://",
     lambda d: first_container(find(d, "CronJob", by_run("sync"))).update(
         args=["trigger", "sync", "--target", "http://kintai-syncer:50051"])),
    ("no Certificate for the syncer's Secret", "cert-manager Certificate",
     lambda d: d.remove(find(d, "Certificate", lambda c: c["spec"]["secretName"] == "kintai-syncer-tls"))),
    ("the trigger's certificate without client auth", "usages",
     lambda d: find(d, "Certificate", lambda c: c["spec"]["secretName"] == "kintai-trigger-tls")
     ["spec"].update(usages=["server auth"])),
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
