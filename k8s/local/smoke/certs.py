"""cert-manager's part, from the rendered Certificate and Issuer objects: each Certificate's
Secret (tls.crt, tls.key, ca.crt) with its commonName, dnsNames, usages, key algorithm and
duration, issued by its Issuer — a selfSigned one, or a `ca` one from the Secret its CA
Certificate made. Made with the openssl CLI, so that a wrong name or usage in a Certificate
fails the smoke test's handshakes as it would fail the cluster's. Any other issuer kind or
Certificate field stops the smoke test."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from smoke.manifests import ManifestError

Doc = dict[str, Any]
CERTIFICATE_FIELDS = {"secretName", "issuerRef", "commonName", "dnsNames", "usages", "isCA", "duration",
                      "renewBefore", "privateKey", "subject"}
EXTENDED = {"server auth": "serverAuth", "client auth": "clientAuth"}
KEY_USAGE = {"digital signature": "digitalSignature", "key encipherment": "keyEncipherment",
             "cert sign": "keyCertSign", "crl sign": "cRLSign"}


def _openssl(args: list[str], cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise ManifestError(f"openssl {args[0]} failed: {result.stderr.strip()[:300]}")


def _days(duration: str | None) -> int:
    """cert-manager's Go duration ("2160h", "87600h"); 90 days when unset, as cert-manager."""
    if not duration:
        return 90
    match = re.fullmatch(r"(\d+)h", duration)
    if not match:
        raise ManifestError(f"Certificate duration {duration!r}: only whole hours are read")
    return max(1, int(match.group(1)) // 24)


def _key(spec: Doc, directory: Path) -> None:
    key = spec.get("privateKey") or {}
    algorithm, size = key.get("algorithm", "RSA"), key.get("size")
    if key.get("encoding", "PKCS1") != "PKCS8" and algorithm != "RSA":
        raise ManifestError(f"privateKey encoding {key.get('encoding')!r} with {algorithm}: not emulated")
    if algorithm == "ECDSA":
        curve = {256: "P-256", 384: "P-384", None: "P-256"}.get(size)
        if curve is None:
            raise ManifestError(f"ECDSA key size {size}: not emulated")
        _openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}", "-out", "tls.key"], directory)
    elif algorithm == "RSA":
        _openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{size or 2048}", "-out", "tls.key"],
                 directory)
    else:
        raise ManifestError(f"privateKey algorithm {algorithm}: not emulated")


def _extensions(spec: Doc) -> str:
    usages = spec.get("usages") or ["digital signature", "key encipherment"]
    unknown = [u for u in usages if u not in EXTENDED and u not in KEY_USAGE]
    if unknown:
        raise ManifestError(f"Certificate usages {unknown}: not emulated")
    lines = []
    if spec.get("isCA"):
        lines += ["basicConstraints = critical, CA:TRUE", "keyUsage = critical, keyCertSign, cRLSign, digitalSignature"]
    else:
        lines.append("basicConstraints = critical, CA:FALSE")
        key_usage = [KEY_USAGE[u] for u in usages if u in KEY_USAGE]
        if key_usage:
            lines.append("keyUsage = critical, " + ", ".join(key_usage))
        extended = [EXTENDED[u] for u in usages if u in EXTENDED]
        if extended:
            lines.append("extendedKeyUsage = " + ", ".join(extended))
    names = spec.get("dnsNames") or []
    if names:
        lines.append("subjectAltName = " + ", ".join(f"DNS:{name}" for name in names))
    lines += ["subjectKeyIdentifier = hash"]
    return "\n".join(lines) + "\n"


def issue(certificates: list[Doc], issuers: list[Doc]) -> dict[str, dict[str, str]]:
    """Secret name -> {tls.crt, tls.key, ca.crt}, for every Certificate, CAs first."""
    by_issuer = {issuer["metadata"]["name"]: issuer["spec"] for issuer in issuers}
    pending = list(certificates)
    issued: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory(prefix="kintai-smoke-certs-") as scratch:
        while pending:
            progress = False
            for certificate in list(pending):
                name = certificate["metadata"]["name"]
                spec = certificate["spec"]
                unknown = set(spec) - CERTIFICATE_FIELDS
                if unknown:
                    raise ManifestError(f"Certificate {name}: {sorted(unknown)} not emulated")
                ref = spec["issuerRef"]
                if ref.get("kind", "Issuer") != "Issuer" or ref["name"] not in by_issuer:
                    raise ManifestError(f"Certificate {name}: issuer {ref} is not an Issuer of the overlay")
                issuer = by_issuer[ref["name"]]
                if "ca" in issuer and issuer["ca"]["secretName"] not in issued:
                    continue  # its CA is not made yet
                directory = Path(scratch) / name
                directory.mkdir()
                _sign(name, spec, issuer, issued, directory)
                issued[spec["secretName"]] = {part: (directory / part).read_text() for part in
                                              ("tls.crt", "tls.key", "ca.crt")}
                pending.remove(certificate)
                progress = True
            if not progress:
                raise ManifestError(f"Certificates whose CA no Certificate makes: {[c['metadata']['name'] for c in pending]}")
    return issued


def _sign(name: str, spec: Doc, issuer: Doc, issued: dict[str, dict[str, str]], directory: Path) -> None:
    _key(spec, directory)
    (directory / "ext.cnf").write_text(_extensions(spec))
    subject = f"/CN={spec.get('commonName', '')}" if spec.get("commonName") else "/"
    days = str(_days(spec.get("duration")))
    if "selfSigned" in issuer:
        _openssl(["req", "-new", "-x509", "-key", "tls.key", "-subj", subject, "-days", days,
                  "-extensions", "v3", "-config", "req.cnf", "-out", "tls.crt"], _with_req_config(directory))
        (directory / "ca.crt").write_text((directory / "tls.crt").read_text())
    elif "ca" in issuer:
        ca = issued[issuer["ca"]["secretName"]]
        (directory / "issuer.crt").write_text(ca["tls.crt"])
        (directory / "issuer.key").write_text(ca["tls.key"])
        _openssl(["req", "-new", "-key", "tls.key", "-subj", subject, "-out", "tls.csr"], directory)
        _openssl(["x509", "-req", "-in", "tls.csr", "-CA", "issuer.crt", "-CAkey", "issuer.key",
                  "-CAcreateserial", "-days", days, "-extfile", "ext.cnf", "-out", "tls.crt"], directory)
        (directory / "ca.crt").write_text(ca["tls.crt"])
    else:
        raise ManifestError(f"Certificate {name}: issuer kind {sorted(issuer)} not emulated")


def _with_req_config(directory: Path) -> Path:
    """A config whose [v3] section holds the extensions, for a self-signed `req -x509`."""
    (directory / "req.cnf").write_text("[req]\ndistinguished_name = dn\n[dn]\n[v3]\n"
                                       + (directory / "ext.cnf").read_text())
    return directory
