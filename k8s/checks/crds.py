"""Custom resources the manifests use (cert-manager's Certificate and Issuer), which the
Kubernetes schemas of kubernetes-validate do not know: validated strictly against the subset of
cert-manager.io/v1 in checks/schemas/, and checked for what the pods need from them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema

from checks.common import Doc
from checks.objects import name_of, pod_spec
from checks.overlay import Overlay
from checks.report import Collector, Report

SCHEMAS = {"cert-manager.io/v1": Path(__file__).parent / "schemas" / "cert-manager.io-v1.json"}


def is_custom(doc: Doc) -> bool:
    return str(doc.get("apiVersion", "")).split("/")[0].endswith("cert-manager.io")


def validate(doc: Doc) -> tuple[str, str | None]:
    """(the schema's name, the first error or None)."""
    api = str(doc.get("apiVersion"))
    path = SCHEMAS.get(api)
    if path is None:
        return api, f"no schema for {api} in checks/schemas/"
    definitions = json.loads(path.read_text(encoding="utf-8"))
    kind = doc.get("kind")
    if kind not in definitions["definitions"]:
        return api, f"{api} {kind} is not in checks/schemas/{path.name}"
    schema = {"$ref": f"#/definitions/{kind}", **definitions}
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
    if not errors:
        return api, None
    first = errors[0]
    return api, f"{'/'.join(str(p) for p in first.path)}: {first.message}"


def check_certificates(o: Overlay, c: Collector | Report) -> None:
    """Every TLS Secret a pod mounts is issued by a Certificate of the overlay (when it has
    any), from an Issuer of the overlay, with the usages the mount needs."""
    certificates = {d["spec"]["secretName"]: d for d in o.by_kind.get("Certificate", [])}
    issuers = {d["metadata"]["name"] for d in o.by_kind.get("Issuer", [])}
    if not certificates:
        return
    for w in o.workloads:
        spec = pod_spec(w) or {}
        for volume in spec.get("volumes") or []:
            secret = (volume.get("secret") or {}).get("secretName", "")
            if not secret.endswith("-tls"):
                continue
            n = f"{o.prefix}{name_of(w)}: "
            cert = certificates.get(secret)
            c.check(cert is not None, n + f"Secret {secret} is issued by a cert-manager Certificate")
            if cert is None:
                continue
            usages = set(cert["spec"].get("usages") or [])
            needed = {"client auth"} if w["kind"] == "CronJob" else {"server auth", "client auth"}
            c.check(needed <= usages, n + f"{name_of(cert)} has the usages {sorted(needed)}",
                    f"usages {sorted(usages)}")
            issuer = cert["spec"]["issuerRef"]
            c.check(issuer.get("kind", "Issuer") == "Issuer" and issuer["name"] in issuers,
                    f"{o.prefix}{name_of(cert)}: its Issuer {issuer['name']} is in the overlay")


def self_test_schemas(sets: dict[str, list[Doc]], report: Report) -> None:
    """The custom schemas bite: a misspelt field and a wrong enum value each fail."""
    import copy

    samples = [d for docs in sets.values() for d in docs if d.get("kind") == "Certificate"]
    if not samples:
        return
    for title, mutate in [
        ("a misspelt Certificate field (dnsName)", lambda d: d["spec"].update(dnsName=["x"])),
        ("an unknown usage", lambda d: d["spec"].update(usages=["server auth", "mind reading"])),
        ("an Issuer of two kinds", lambda d: d["spec"].update(selfSigned={}, ca={"secretName": "x"})),
    ]:
        doc = copy.deepcopy(samples[0])
        if "Issuer" in title:
            doc = {"apiVersion": "cert-manager.io/v1", "kind": "Issuer", "metadata": {"name": "x"}, "spec": {}}
        mutate(doc)
        _, error = validate(doc)
        report.check(error is not None, f"self-test schemas: {title} fails cert-manager.io/v1",
                     "the schema accepted it")
