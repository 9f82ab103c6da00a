"""databend_plan run through Ansible on localhost with what roles/engine_databend/tasks/node_state.yml records."""

MIRROR = "http://10.89.3.6:8081/v{version}/databend-v{version}-x86_64-unknown-linux-gnu.tar.gz"


def component(version, min_compatible, data_version=None, staged=()):
    return {"version": version, "min_compatible": min_compatible, "data_version": data_version,
            "service_active": True, "service_state": "active", "staged_releases": list(staged),
            "free_bytes": 41217232896}


def host(name, meta=None, query=None):
    return {"host": name, "meta": meta, "query": query}


def args(target, meta_version, meta_min, query_version, query_min, **overrides):
    values = {
        "target_version": target, "flow": "multi_replica", "leader_host": "node1",
        "nodes": [host("node%d" % n, meta=component(meta_version, meta_min, "V004")) for n in (1, 2, 3)]
        + [host("node%d" % n, query=component(query_version, query_min)) for n in (4, 5)],
        "release_url_template": MIRROR, "release_checksum_url_template": MIRROR + ".sha256sum",
    }
    values.update(overrides)
    return values


def test_meta_first_with_the_leader_last(module_runner):
    result = module_runner("databend_plan", args("1.2.828-nightly", "1.2.680-nightly", "1.2.288",
                                                 "1.2.770-nightly", "1.2.677"))
    assert result.get("failed") is not True, result.get("msg")
    assert result["order"] == "meta_first"
    assert [(hop["component"], hop["hosts"]) for hop in result["hops"]] == [
        ("meta", ["node2", "node3", "node1"]), ("query", ["node4", "node5"])]
    assert [source["version"] for source in result["sources"]] == ["1.2.828-nightly"]
    assert result["changed"] is False


def test_an_incompatible_query_only_target_is_refused_naming_the_rule(module_runner):
    result = module_runner("databend_plan", args("1.2.828-nightly", "1.2.680-nightly", "1.2.288",
                                                 "1.2.770-nightly", "1.2.677", components=["query"]))
    assert result["failed"] is True
    assert result["msg"] == (
        "upgrading only databend-query breaks the compatibility rule at query 1.2.828-nightly with meta 1.2.680-nightly "
        "(incompatible: meta 1.2.680-nightly is older than query 1.2.828-nightly min-compatible-metasrv-version "
        "1.2.770): upgrade both components (engine_databend_components: [meta, query])")
    assert result["allowed"] is False and result["hops"] == []


def test_inputs_only_refuses_a_malformed_target_before_any_node_is_read(module_runner):
    result = module_runner("databend_plan", {"target_version": "latest", "flow": "multi_replica", "inputs_only": True})
    assert result["failed"] is True
    assert result["msg"].startswith("target_version: ")


BUILT = "/srv/build/databend/target/release"


def test_a_directory_of_built_binaries_is_a_release_source(module_runner):
    releases = [{"version": "1.2.828-nightly", "binary": BUILT}]
    result = module_runner("databend_plan", args("1.2.828-nightly", "1.2.680-nightly", "1.2.288",
                                                 "1.2.770-nightly", "1.2.677", releases=releases,
                                                 release_url_template=None, release_checksum_url_template=None))
    assert result.get("failed") is not True, result.get("msg")
    assert result["sources"] == [{"version": "1.2.828-nightly", "url": None, "src": None, "binary": BUILT,
                                  "binary_on": "controller", "sha256": None, "checksum_url": None}]


def test_inputs_only_refuses_a_sha256_for_a_directory_of_built_binaries(module_runner):
    releases = [{"version": "1.2.828-nightly", "binary": BUILT, "binary_on": "node", "sha256": "c" * 64}]
    result = module_runner("databend_plan", {"target_version": "1.2.828-nightly", "flow": "standalone",
                                             "releases": releases, "inputs_only": True})
    assert result["failed"] is True
    assert result["msg"] == (
        "distsql_releases entry 1.2.828-nightly: sha256 does not apply to a Databend binary entry, whose binary names "
        "the directory holding the built databend-meta and databend-query; each is verified by the version it "
        "reports: remove sha256")


def test_binary_on_takes_only_controller_or_node(module_runner):
    releases = [{"version": "1.2.828-nightly", "binary": BUILT, "binary_on": "nodes"}]
    result = module_runner("databend_plan", {"target_version": "1.2.828-nightly", "flow": "standalone",
                                             "releases": releases, "inputs_only": True})
    assert result["failed"] is True
    assert result["msg"] == ("value of binary_on must be one of: controller, node, got: nodes found in releases")
