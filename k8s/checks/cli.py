"""Argument parsing and the run in order: render, parse, schemas, invariants, self-test."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import yaml

from checks.common import DEFAULT_VERSIONS, K8S, ROOT, Doc
from checks.binary import default_drain_timeout, known_settings
from checks.crds import is_custom, self_test_schemas, validate as validate_custom
from checks.dockerfile import check_dockerfile
from checks.invariants import check_set
from checks.objects import name_of
from checks.render import load_docs, render, secret_templates
from checks.report import Report
from checks.selftest import self_test

def main(doc: str) -> int:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
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

    for label, docs in sets.items():
        for doc in filter(is_custom, docs):
            api, error = validate_custom(doc)
            report.check(error is None, f"schema {api} (checks/schemas) strict: {label}: {name_of(doc)}",
                         error or "")
    for version in versions:
        for label, docs in sets.items():
            for doc in docs:
                if is_custom(doc):
                    continue  # custom resources: their own schema above
                name = f"schema {version} strict: {label}: {name_of(doc)}"
                try:
                    kubernetes_validate.validate(doc, version, strict=True)
                    report.check(True, name)
                except Exception as error:  # ValidationError, SchemaNotFoundError, ...
                    report.check(False, name, (str(error).splitlines() or [repr(error)])[0])

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
        self_test_schemas(sets, report)

    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0
