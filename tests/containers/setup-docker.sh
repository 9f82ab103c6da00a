#!/usr/bin/env bash
# Install Debian's Docker engine (docker.io, dockerd 20.10) and docker-compose 1.29 if missing, start dockerd as
# root in the background and wait until `docker info` answers. Idempotent: a daemon that already answers is left
# as it is (and then tests/containers/teardown-docker.sh does not stop it). Run as root.
#
# Client: the lab and the collection use Debian's /usr/bin/docker (20.10, the daemon's own API 1.41), never the
# Docker 28 client at /usr/local/bin/docker that comes first in PATH: that one has no daemon of its own and would
# only negotiate down to 1.41. docker-compose 1.29 (Python, docker-py) talks to the same socket.
#
# dockerd options (why):
#   --iptables=false   dockerd writes no iptables rules and leaves the FORWARD policy alone. With its default it
#                      sets FORWARD to DROP and adds its own chains; br_netfilter is loaded here, so traffic on the
#                      podman testbed's bridges (dtbNNN, netavark rules) crosses FORWARD too and the testbed's hosts
#                      and their release mirror could be cut off. Without DNAT rules, published ports (-p) are
#                      served by docker-proxy (the userland proxy, on by default and required here), which is all
#                      the lab needs: clients on this machine reach 127.0.0.1:<port> or the docker0 address.
#                      Containers get no masquerading to the outside, which nothing here needs (no internet).
#   --ip-forward=false dockerd leaves net.ipv4.ip_forward as it is (podman already manages it).
#   --data-root, --exec-root, --pidfile, log file: everything under one state dir ($DISTSQL_DOCKER_STATE), so
#                      teardown removes all the lab put there; the socket stays the default /var/run/docker.sock so
#                      plain `docker`, `docker-compose` and the vendor's scripts find it without DOCKER_HOST.
#   --add-runtime=runc-lab=tests/containers/runc-lab --default-runtime=runc-lab
#                      runc behind a wrapper that fits each container's spec to this sandbox (no CAP_SYS_RESOURCE in
#                      root's bounding set, finite hard rlimits), so the vendor's `--privileged`, `--ulimit
#                      memlock=-1` and `--ulimit nofile=1048576` run unchanged; see that file.
#   (no --containerd)  dockerd starts and stops its own containerd under the exec root.
set -euo pipefail
cd "$(dirname "$0")/../.."

STATE=${DISTSQL_DOCKER_STATE:-/var/lib/distsql-docker}
DOCKER=/usr/bin/docker
TIMEOUT=${DISTSQL_DOCKER_TIMEOUT:-90}

packages=(docker.io docker-compose)
missing=()
for package in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup-docker: installing ${missing[*]}"
    apt-get update -qq
    # No recommends (needrestart, apparmor, cgroupfs-mount); the machine's policy-rc.d keeps apt from starting
    # dockerd with its default options.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if "$DOCKER" info >/dev/null 2>&1; then
    echo "setup-docker: a docker daemon already answers on /var/run/docker.sock; left as it is"
    exit 0
fi

options=(--iptables=false --ip-forward=false
         --add-runtime="runc-lab=$PWD/tests/containers/runc-lab" --default-runtime=runc-lab
         --data-root="$STATE/data" --exec-root="$STATE/exec" --pidfile="$STATE/dockerd.pid")

if [ "$(ps -p 1 -o comm= 2>/dev/null)" = systemd ]; then
    # The packaged unit with the lab's options (a drop-in); systemd owns the process. Not exercised on the
    # project's machines (no systemd as PID 1 there).
    mkdir -p /etc/systemd/system/docker.service.d "$STATE"
    printf '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock %s\n' \
        "${options[*]}" > /etc/systemd/system/docker.service.d/distsql-lab.conf
    systemctl daemon-reload
    systemctl restart docker.service
    echo systemd > "$STATE/started-by"
else
    mkdir -p "$STATE"
    if [ -f "$STATE/dockerd.pid" ] && kill -0 "$(cat "$STATE/dockerd.pid")" 2>/dev/null; then
        echo "setup-docker: dockerd $(cat "$STATE/dockerd.pid") is running but does not answer yet"
    else
        rm -f "$STATE/dockerd.pid"
        # setsid: the daemon outlives this script and the make target's shell, and no terminal signal reaches it.
        setsid /usr/sbin/dockerd "${options[@]}" </dev/null >>"$STATE/dockerd.log" 2>&1 &
        echo $! > "$STATE/dockerd.launcher-pid"
    fi
    echo direct > "$STATE/started-by"
fi

deadline=$((SECONDS + TIMEOUT))
until "$DOCKER" info >/dev/null 2>&1; do
    if [ -f "$STATE/dockerd.launcher-pid" ] && ! kill -0 "$(cat "$STATE/dockerd.launcher-pid")" 2>/dev/null; then
        echo "setup-docker: dockerd exited before answering; the end of $STATE/dockerd.log:" >&2
        tail -n 20 "$STATE/dockerd.log" >&2 || true
        exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
        echo "setup-docker: docker info did not answer within ${TIMEOUT}s; the end of $STATE/dockerd.log:" >&2
        tail -n 20 "$STATE/dockerd.log" >&2 || true
        exit 1
    fi
    sleep 0.2
done
echo "setup-docker: dockerd $("$DOCKER" version --format '{{.Server.Version}}') answers (pid $(cat "$STATE/dockerd.pid"), state $STATE)"
