"""TOML config files of databend-meta and databend-query (keys of scripts/distribution/configs)."""
import tomllib

META_DEFAULTS = {
    "admin_api_address": "127.0.0.1:28002",
    "grpc_api_address": "127.0.0.1:9191",
    "grpc_api_advertise_host": None,
}
RAFT_DEFAULTS = {
    "id": 0,
    "raft_dir": ".databend/meta",
    "raft_api_port": 28004,
    "raft_listen_host": "127.0.0.1",
    "raft_advertise_host": "localhost",
    "single": False,
    "join": [],
    "cluster_name": "foo_cluster",
}
QUERY_DEFAULTS = {
    "flight_api_address": "127.0.0.1:9090",
    "discovery_address": "",
    "admin_api_address": "127.0.0.1:8080",
    "metric_api_address": "127.0.0.1:7070",
    "mysql_handler_host": "127.0.0.1",
    "mysql_handler_port": 3307,
    "http_handler_host": "127.0.0.1",
    "http_handler_port": 8000,
    "flight_sql_handler_host": "127.0.0.1",
    "flight_sql_handler_port": 8900,
    "tenant_id": "admin",
    "cluster_id": "",
    "shutdown_wait_timeout_ms": 5000,  # clap default, as in the packaged config
}
META_CLIENT_DEFAULTS = {"endpoints": [], "username": "root", "password": ""}
LOG_FILE_DEFAULTS = {"on": True, "dir": "./.databend/logs", "level": "INFO", "format": "text"}


class ConfigError(Exception):
    pass


def load_toml(path):
    if not path:
        return {}
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("config file not found: %s" % path)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("invalid TOML in %s: %s" % (path, exc))


def _merged(defaults, section):
    merged = dict(defaults)
    merged.update({k: v for k, v in (section or {}).items() if not isinstance(v, dict) or k in defaults})
    return merged


def _log_file(doc):
    return _merged(LOG_FILE_DEFAULTS, doc.get("log", {}).get("file", {}))


def meta_config(path, overrides=None):
    doc = load_toml(path)
    conf = _merged(META_DEFAULTS, {k: v for k, v in doc.items() if not isinstance(v, dict)})
    conf["raft_config"] = _merged(RAFT_DEFAULTS, doc.get("raft_config"))
    conf["raft_config"].update(overrides or {})
    conf["log_file"] = _log_file(doc)
    grpc_port = conf["grpc_api_address"].rpartition(":")[2]
    host = conf["grpc_api_advertise_host"]
    conf["grpc_api_advertise_address"] = "%s:%s" % (host, grpc_port) if host else None
    raft = conf["raft_config"]
    raft["raft_listen"] = "%s:%s" % (raft["raft_listen_host"], raft["raft_api_port"])
    raft["raft_advertise"] = "%s:%s" % (raft["raft_advertise_host"], raft["raft_api_port"])
    return conf


def query_config(path):
    doc = load_toml(path)
    conf = _merged(QUERY_DEFAULTS, doc.get("query"))
    conf["meta"] = _merged(META_CLIENT_DEFAULTS, doc.get("meta"))
    conf["log_file"] = _log_file(doc)
    storage = doc.get("storage", {})
    conf["storage"] = {"type": storage.get("type", "fs"),
                       "data_path": storage.get("fs", {}).get("data_path", "_data")}
    if not conf["meta"]["endpoints"]:
        raise ConfigError("meta.endpoints is empty: embedded meta is not supported")
    return conf
