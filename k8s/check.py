#!/usr/bin/env python3
"""Renders every overlay in k8s/ and checks the result, offline.

    python3 k8s/check.py [--out DIR] [--kubernetes-version V ...]
    python3 k8s/check.py --rendered production=FILE --rendered staging=FILE   # check given files

1. Renders k8s/overlays/* and the Secret templates in k8s/secrets with `kubectl kustomize`
   (or `kustomize build` when there is no kubectl).
2. Validates every rendered object against the Kubernetes schemas of the given versions in strict
   mode (PyPI package kubernetes-validate; no network); cert-manager's Certificate and Issuer,
   which those schemas do not know, against the strict subset of cert-manager.io/v1 in
   checks/schemas/ (checks/crds.py).
3. Checks the invariants of issues 8 and 31 in the rendered YAML: TLS and mutual TLS on every
   hop from mounted Secrets issued by the overlay's Certificates, gRPC probes on the plaintext
   health-only port, resources, non-root
   read-only containers, grace period above the drain timeout, a PodDisruptionBudget per
   Deployment, the CronJobs' schedule settings, the network policies (evaluated on the rendered
   pods), Secrets holding placeholders only, images pinned by tag, and only KINTAI__ settings the
   binary knows (it exits 64 on an unknown one).
4. Self-test: breaks copies of the rendered objects on purpose and checks that each break is caught.

Prints one line per check and, last, `N passed, M failed`; exits 1 when a check failed.
Needs PyYAML and kubernetes-validate (python3 -m pip install kubernetes-validate).
"""

import sys

from checks.cli import main  # the checks live in k8s/checks/, one module per concern

if __name__ == "__main__":
    sys.exit(main(__doc__))
