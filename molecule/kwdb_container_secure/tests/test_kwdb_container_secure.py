"""kwdb_container_secure: upgrade_standalone.yml on a secure KWDB `docker run` container, V3.0.0 -> V3.1.0."""
from tests.molecule_support.container_checks import (assert_data_kept, assert_markers_readable,
                                                     assert_only_the_image_changed)

NODE = "kwsec-kwdb1"


def test_the_container_runs_the_new_image_with_its_certificates(containers_now, lab_hosts):
    node = containers_now["nodes"][NODE]
    assert (node["image"], node["version"]) == ("kwdb/kwdb:3.1.0", "V3.1.0"), (node["image"], node["version"])
    certs = lab_hosts[NODE]["distsql_certs_dir"]
    assert "%s:/kaiwudb/certs" % certs in node["inspect"]["HostConfig"]["Binds"], node["inspect"]["HostConfig"]["Binds"]
    assert "--certs-dir=/kaiwudb/certs" in node["inspect"]["Args"], node["inspect"]["Args"]


def test_docker_inspect_differs_only_in_the_image_ids_and_times(recorded, show):
    assert_only_the_image_changed(recorded("before"), recorded("after_upgrade"), NODE, show)


def test_the_old_container_is_gone_and_its_image_kept(containers_now):
    assert containers_now["docker"]["containers"] == ["%s kwdb/kwdb:3.1.0" % NODE], containers_now["docker"]
    assert [image for image in containers_now["docker"]["images"] if image.startswith("kwdb/kwdb:3.0.0 ")]


def test_data_kept_and_rows_readable_over_tls(recorded, containers_now, lab_hosts, state_dir):
    assert_data_kept(recorded("before"), containers_now)
    assert_markers_readable(lab_hosts, state_dir)
