"""The checks of k8s/check.py, one module per concern.

common      constants shared by the checks (paths, ports, kinds)
report      counting and printing results (Report), collecting them for the self-test (Collector)
render      rendering overlays with kustomize, loading YAML, the Secret templates
binary      what the kintai binary accepts (its KINTAI__ settings, the default drain timeout)
objects     helpers over rendered objects (pod specs, labels, selectors, env, Secret refs)
overlay     one rendered overlay indexed by kind, and the Service a URL names
placeholders  Secrets hold placeholders only
images      images pinned by tag or digest
services    the three `kintai serve` Deployments and the Services in front of them
workloads   every workload's container hardening, and a PodDisruptionBudget per Deployment
cronjobs    the `kintai trigger` CronJobs
network     network policies, evaluated on the rendered pods
invariants  every invariant over one rendered overlay (calls the modules above, in order)
selftest    deliberate breaks that each must be caught
dockerfile  the image build
cli         argument parsing and the run in order (render, schemas, invariants, self-test)
"""
