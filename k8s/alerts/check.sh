#!/usr/bin/env bash
# Checks the alerting rules with Debian's promtool (package `prometheus`, installed when missing):
#   1. promtool check rules: syntax, PromQL, templates;
#   2. promtool test rules: kintai.rules.test.yaml, every alert firing and quiet;
#   3. self-test: each alert in turn is made unable to fire; its tests must then fail, so no
#      alert passes its tests by accident.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"

if ! command -v promtool >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { echo "check.sh: promtool missing; apt-get install prometheus" >&2; exit 1; }
  echo "check.sh: installing Debian's prometheus package (for promtool)" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null 2>&1 || {
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus >/dev/null
  }
fi

promtool check rules kintai.rules.yaml
promtool test rules kintai.rules.test.yaml

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
alerts=$(python3 -c 'import sys, yaml
for group in yaml.safe_load(open("kintai.rules.yaml"))["groups"]:
    for rule in group["rules"]:
        print(rule["alert"])')
failed=0
for alert in $alerts; do
  ALERT=$alert python3 - kintai.rules.yaml "$scratch/kintai.rules.yaml" <<'EOF'
import os, sys, yaml
rules = yaml.safe_load(open(sys.argv[1]))
for group in rules["groups"]:
    for rule in group["rules"]:
        if rule["alert"] == os.environ["ALERT"]:
            rule["expr"] = "vector(1) > 2"  # never true
yaml.safe_dump(rules, open(sys.argv[2], "w"), allow_unicode=True)
EOF
  cp kintai.rules.test.yaml "$scratch/"
  if promtool test rules "$scratch/kintai.rules.test.yaml" >/dev/null 2>&1; then
    echo "check.sh: self-test: $alert could never fire, and its tests still passed" >&2
    failed=1
  fi
done
[ $failed -eq 0 ] || exit 1
echo "check.sh: self-test: each of $(echo "$alerts" | wc -w) alerts silenced in turn fails its tests"
