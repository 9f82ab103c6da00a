"""Command lines of databend-query, databend-meta and databend-metactl (clap-compatible subset)."""
import sys

from . import config, metactl, runtime, versions


class UsageError(Exception):
    pass


def main(argv, buildinfo):
    component = buildinfo["component"]
    args = list(argv[1:])
    try:
        if component == "metactl":
            return metactl.main(args, buildinfo)
        if component == "meta":
            return meta_main(args, buildinfo)
        if component == "query":
            return query_main(args, buildinfo)
    except UsageError as exc:
        sys.stderr.write("error: unexpected argument '%s' found\n\nUsage: databend-%s [OPTIONS]%s\n\n"
                         "For more information, try '--help'.\n" % (exc, component, " [COMMAND]" if component == "query" else ""))
        return 2
    raise SystemExit("unknown databend component %r" % component)


def parse_options(args, flags, options):
    """clap-like: flags take no value, options take one (`--opt v` or `--opt=v`); others are errors."""
    parsed, positional = {}, []
    index = 0
    while index < len(args):
        arg = args[index]
        name, has_value, value = arg.partition("=")
        if arg in flags:
            parsed[flags[arg]] = True
        elif name in options:
            if not has_value:
                index += 1
                if index >= len(args):
                    raise UsageError(arg)
                value = args[index]
            parsed[options[name]] = value
        elif arg.startswith("-"):
            raise UsageError(arg)
        else:
            positional.append(arg)
        index += 1
    return parsed, positional


META_FLAGS = {"--single": "single", "-V": "version", "--version": "version"}
META_OPTIONS = {"--cmd": "cmd", "-c": "config_file", "--config-file": "config_file", "--id": "id",
                "--raft-dir": "raft_dir"}


def meta_main(args, buildinfo):
    parsed, positional = parse_options(args, META_FLAGS, META_OPTIONS)
    if positional:
        raise UsageError(positional[0])
    version = buildinfo["version"]
    facts = versions.binary_facts(buildinfo)
    if parsed.get("version"):
        print("databend-meta %s" % meta_version_text(version, facts))
        return 0
    cmd = parsed.get("cmd", "")
    if cmd == "ver":
        print("version: %s" % versions.tag(version))
        print("min-compatible-client-version: %s" % facts["min_compatible_client_version"])
        if versions.parse(version) >= versions.CMD_VER_DATA_VERSION_SINCE:
            print("data-version: %s" % versions.data_version_debug(facts["data_version"]))
        return 0
    if cmd:
        sys.stderr.write("Invalid cmd: %s\nAvailable cmds:\n  --cmd ver\n"
                         "    Print version and min compatible meta-client version\n"
                         "  --cmd show-config\n    Print effective config\n"
                         "  --cmd kvapi::<cmd>\n    Run kvapi command (upsert, get, mget, list)\n" % cmd)
        return 0
    overrides = {key: parsed[key] for key in ("single", "id", "raft_dir") if key in parsed}
    try:
        conf = config.meta_config(parsed.get("config_file"), overrides)
    except config.ConfigError as exc:
        sys.stderr.write("Error: %s\n" % exc)
        return 1
    from .metasrv import MetaServer
    server = MetaServer(buildinfo, conf)
    return server.run(runtime.Shutdown(runtime.faults(*versions.fault_tags(version)).get("hang_on_stop", False)))


def meta_version_text(version, facts):
    if versions.parse(version) < versions.META_FULL_VERSION_SINCE:
        return versions.metasrv_commit_version(version)
    return "%s\nmin-compatible-client-version: %s\ndata-version: %s" % (
        versions.databend_commit_version(version), facts["min_compatible_client_version"],
        versions.data_version_debug(facts["data_version"]))


QUERY_FLAGS = {"-V": "version", "--version": "version"}
QUERY_OPTIONS = {"--cmd": "cmd", "-c": "config_file", "--config-file": "config_file"}


def query_main(args, buildinfo):
    parsed, positional = parse_options(args, QUERY_FLAGS, QUERY_OPTIONS)
    if positional and positional != ["ver"]:
        raise UsageError(positional[0])
    version = buildinfo["version"]
    facts = versions.binary_facts(buildinfo)
    if parsed.get("version"):
        print("databend-query %s" % versions.databend_commit_version(version))
        return 0
    if positional == ["ver"] or parsed.get("cmd") == "ver":
        print("version: %s" % versions.tag(version))
        print("min-compatible-metasrv-version: %s" % facts["min_compatible_metasrv_version"])
        return 0
    try:
        conf = config.query_config(parsed.get("config_file"))
    except config.ConfigError as exc:
        sys.stderr.write("Error: %s\n" % exc)
        return 1
    from .query import QueryServer
    server = QueryServer(buildinfo, conf)
    return server.run(runtime.Shutdown(runtime.faults(*versions.fault_tags(version)).get("hang_on_stop", False)))
