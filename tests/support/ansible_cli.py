"""Run the installed collection through the real ansible CLIs and read back each task's result."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

CALLBACKS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "callback_plugins")


class AnsibleFailed(AssertionError):
    """ansible or ansible-playbook produced no result at all (syntax error, unreachable...)."""


def collections_path():
    path = os.environ.get("DISTSQL_COLLECTIONS_PATH")
    if not path:
        raise AnsibleFailed("DISTSQL_COLLECTIONS_PATH is not set: run through make, which installs the built collection "
                            "and points this variable at it")
    return path


def _tool(name):
    return shutil.which(name, path=os.path.dirname(sys.executable)) or name


def _environment(results_file, extra_env):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections_path(), ANSIBLE_LOAD_CALLBACK_PLUGINS="1",
               ANSIBLE_CALLBACK_PLUGINS=CALLBACKS, ANSIBLE_CALLBACKS_ENABLED="task_results",
               TASK_RESULTS_FILE=results_file, ANSIBLE_LOCALHOST_WARNING="0",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="0", ANSIBLE_HOST_KEY_CHECKING="False", ANSIBLE_PIPELINING="1",
               ANSIBLE_NOCOLOR="1")
    env.update(extra_env or {})
    return env


def _run(argv, extra_env, timeout):
    """Run argv; return (task results in order, CompletedProcess)."""
    with tempfile.TemporaryDirectory() as tmp:
        results_file = os.path.join(tmp, "results.jsonl")
        proc = subprocess.run(argv, env=_environment(results_file, extra_env), capture_output=True, text=True,
                              timeout=timeout, check=False)
        if not os.path.exists(results_file):
            raise AnsibleFailed("%s wrote no task result (rc=%s):\n%s\n%s"
                                % (os.path.basename(argv[0]), proc.returncode, proc.stdout, proc.stderr))
        with open(results_file, encoding="utf-8") as source:
            return [json.loads(line) for line in source], proc


def run_module(module, args, check_mode=False, timeout=300):
    """distsql.upgrade.<module> on localhost; returns the module's result dict."""
    argv = [_tool("ansible"), "localhost", "-c", "local", "-m", "distsql.upgrade.%s" % module, "-a", json.dumps(args),
            "-e", "ansible_python_interpreter=%s" % sys.executable]
    if check_mode:
        argv.append("--check")
    records, _proc = _run(argv, None, timeout)
    return records[0]["result"]


def run_playbook(playbook, inventory, extra_vars=None, timeout=900, extra_env=None):
    """ansible-playbook over the inventory; returns (task records, CompletedProcess)."""
    argv = [_tool("ansible-playbook"), "-i", inventory, playbook]
    if extra_vars:
        argv += ["-e", json.dumps(extra_vars)]
    return _run(argv, extra_env, timeout)
