"""dockerd's default OCI runtime in the container lab (started by the sh wrapper tests/containers/runc-lab): Debian's
runc, after fitting the container's spec to what this machine lets root do.

The project's machines run inside a sandbox whose capability bounding set lacks CAP_SYS_RESOURCE and whose hard
rlimits are finite (nofile 20000, memlock 8 MiB). The vendor's KWDB lines ask for `--privileged` (every capability)
and `--ulimit memlock=-1 --ulimit nofile=1048576`; runc then fails with "unable to apply caps: operation not
permitted" or "error setting rlimit type 8". This wrapper removes from the spec the capabilities outside the
bounding set and lowers each rlimit to this process's hard limit, then runs runc with the same arguments, so the
vendor's `docker run` lines and docker-compose.yml run unchanged and `docker inspect` shows what they asked for
(the same idea as the podman testbed's `default_ulimits = []`). Only `create`, `run` (config.json of --bundle) and
`exec --process FILE` are touched; every other call goes straight to runc.
"""
import json
import os
import resource
import sys

RUNC = "/usr/sbin/runc"
CAP_NAMES = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
             "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
             "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
             "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
             "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
             "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
             "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE"]


def bounding_set():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("CapBnd:"):
                mask = int(line.split()[1], 16)
    return {name for bit, name in enumerate(CAP_NAMES) if mask >> bit & 1}


def fit_process(process, allowed):
    """Drop capabilities outside ``allowed`` and clamp rlimits to ours, in an OCI process object (in place)."""
    for kind, names in (process.get("capabilities") or {}).items():
        process["capabilities"][kind] = [name for name in names if name in allowed]
    for rlimit in process.get("rlimits") or []:
        try:
            hard = resource.getrlimit(getattr(resource, rlimit["type"]))[1]
        except (AttributeError, ValueError):
            continue
        if hard != resource.RLIM_INFINITY:
            for key in ("hard", "soft"):
                if rlimit.get(key, 0) > hard or rlimit.get(key, 0) < 0:
                    rlimit[key] = hard


def rewrite(path, to_process):
    with open(path, encoding="utf-8") as source:
        document = json.load(source)
    fit_process(to_process(document), bounding_set())
    with open(path, "w", encoding="utf-8") as out:
        json.dump(document, out)


def option(args, *names):
    for index, arg in enumerate(args):
        for name in names:
            if arg == name and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


def main(args):
    command = next((arg for arg in args if arg in ("create", "run", "exec")), None)
    if command in ("create", "run"):
        bundle = option(args, "--bundle", "-b") or "."
        rewrite(os.path.join(bundle, "config.json"), lambda spec: spec.setdefault("process", {}))
    elif command == "exec":
        process_file = option(args, "--process", "-p")
        if process_file:
            rewrite(process_file, lambda process: process)
    os.execv(RUNC, [RUNC] + args)


if __name__ == "__main__":
    main(sys.argv[1:])
