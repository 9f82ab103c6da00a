#!/usr/bin/env bash
# Install what tests/testbed/hostlab.py needs on Debian bookworm and check that podman runs with the lab's
# private configuration. Idempotent: returns quickly when everything is there. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

packages=(podman runc mmdebstrap uidmap openssh-client iptables iproute2 chromium)
missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-host: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

"${PYTHON:-python3}" -m tests.testbed check
