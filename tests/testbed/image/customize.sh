#!/bin/sh
# mmdebstrap customize hook: turn the bootstrapped tree into a systemd test host.
# Usage: customize.sh ROOTFS AUTHORIZED_KEY_FILE
set -eu
root="$1"
pubkey="$2"

# podman sets the hostname and /etc/hosts; an inherited /etc/hostname would override --hostname.
rm -f "$root/etc/hostname"
# Empty machine-id: systemd makes a fresh one per container at boot.
: > "$root/etc/machine-id"

install -d -m 700 "$root/root/.ssh"
install -m 600 "$pubkey" "$root/root/.ssh/authorized_keys"
install -d -m 755 "$root/etc/ssh/sshd_config.d"
cat > "$root/etc/ssh/sshd_config.d/10-testbed.conf" <<'CONF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
CONF

# Only the load balancer role starts haproxy, and only when a test configures it.
systemctl --root="$root" disable haproxy.service
# Debian's haproxy unit bind-mounts /dev/log into a private mount namespace, which the lab's containers
# (no CAP_SYS_ADMIN) refuse: haproxy would exit 226/NAMESPACE. An empty BindReadOnlyPaths= resets the list.
install -d -m 755 "$root/etc/systemd/system/haproxy.service.d"
printf '[Service]\nBindReadOnlyPaths=\n' > "$root/etc/systemd/system/haproxy.service.d/10-testbed.conf"

install -d -m 755 "$root/testbed/shared" "$root/etc/testbed"
