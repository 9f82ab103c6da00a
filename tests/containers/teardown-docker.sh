#!/usr/bin/env bash
# Undo tests/containers/setup-docker.sh: remove every container lab (python -m tests.containers down --all), the
# containers and images left in the lab's daemon, and stop the daemon the setup started (its pidfile under the
# state dir), waiting until it has exited. A daemon the setup did not start is not stopped, and then only the
# lab's own containers (label distsql-containers.lab) and images (kwdb/kwdb, distsql-lab/*) are removed.
# Safe to run more than once, and when setup never ran.
set -uo pipefail
cd "$(dirname "$0")/../.."

STATE=${DISTSQL_DOCKER_STATE:-/var/lib/distsql-docker}
DOCKER=/usr/bin/docker
TIMEOUT=${DISTSQL_DOCKER_TIMEOUT:-90}
started_by=$(cat "$STATE/started-by" 2>/dev/null || true)

if [ -x "$DOCKER" ] && "$DOCKER" info >/dev/null 2>&1; then
    "${PYTHON:-python3}" -m tests.containers down --all || echo "teardown-docker: down --all failed, removing what is left" >&2
    if [ -n "$started_by" ]; then
        containers=$("$DOCKER" ps -aq)                       # the lab's own daemon: everything in it is the lab's
        images=$("$DOCKER" images -aq)
    else
        containers=$("$DOCKER" ps -aq --filter label=distsql-containers.lab)
        images=$("$DOCKER" images -q --filter reference='kwdb/kwdb' --filter reference='distsql-lab/*')
    fi
    [ -z "$containers" ] || "$DOCKER" rm -f -v $containers >/dev/null
    [ -z "$images" ] || "$DOCKER" rmi -f $images >/dev/null 2>&1 || true
fi

case "$started_by" in
systemd)
    systemctl stop docker.service docker.socket || true
    rm -f /etc/systemd/system/docker.service.d/distsql-lab.conf
    systemctl daemon-reload
    ;;
direct)
    pid=$(cat "$STATE/dockerd.pid" 2>/dev/null || cat "$STATE/dockerd.launcher-pid" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        deadline=$((SECONDS + TIMEOUT))
        while kill -0 "$pid" 2>/dev/null; do
            if [ $SECONDS -ge $deadline ]; then
                echo "teardown-docker: dockerd $pid still running after ${TIMEOUT}s; killing it" >&2
                kill -KILL "$pid" 2>/dev/null || true
                break
            fi
            sleep 0.2
        done
    fi
    ;;
esac
if [ -n "$started_by" ]; then
    # Mounts of the daemon's overlay and netns files must be gone before the data root can be removed.
    grep -o " $STATE/[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$STATE/data" "$STATE/exec" "$STATE/dockerd.pid" "$STATE/dockerd.launcher-pid" "$STATE/started-by"
    ip link delete docker0 2>/dev/null || true
    echo "teardown-docker: dockerd stopped, $STATE/data removed (log kept: $STATE/dockerd.log)"
fi
exit 0
