"""start_flag run through Ansible on env files in a temporary directory."""
import os
import stat

INSTALLED = 'KAIWUDB_START_ARG=""\n'


def env_file(tmp_path, text=INSTALLED, mode=0o640):
    path = tmp_path / "kaiwudb_env"
    path.write_bytes(text.encode())
    os.chmod(path, mode)
    os.chown(path, 1234, 1235)
    return path


def test_present_adds_the_flag_and_keeps_mode_and_owner(tmp_path, module_runner):
    path = env_file(tmp_path)
    result = module_runner("start_flag", {"path": str(path)})
    assert result["changed"] is True and result["present"] is True
    assert (result["previous"], result["value"]) == ('""', '"--upgrade-complete "')
    assert path.read_bytes() == b'KAIWUDB_START_ARG="--upgrade-complete "\n'
    info = os.stat(path)
    assert (stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid) == (0o640, 1234, 1235)
    assert result["diff"]["before"] == INSTALLED and result["diff"]["after"] == 'KAIWUDB_START_ARG="--upgrade-complete "\n'
    assert sorted(os.listdir(tmp_path)) == ["kaiwudb_env"]


def test_present_twice_is_no_change(tmp_path, module_runner):
    path = env_file(tmp_path, 'KAIWUDB_START_ARG="--upgrade-complete "\n')
    result = module_runner("start_flag", {"path": str(path)})
    assert result["changed"] is False and result["present"] is True


def test_absent_gives_the_file_back_byte_for_byte(tmp_path, module_runner):
    original = '# env\nKAIWUDB_START_ARG="--cache=25%"\r\n'
    path = env_file(tmp_path, original)
    module_runner("start_flag", {"path": str(path), "flag": "--upgrade-complete"})
    assert path.read_bytes() == b'# env\nKAIWUDB_START_ARG="--upgrade-complete --cache=25%"\r\n'
    result = module_runner("start_flag", {"path": str(path), "state": "absent"})
    assert result["changed"] is True and result["present"] is False
    assert path.read_bytes() == original.encode()
    assert module_runner("start_flag", {"path": str(path), "state": "absent"})["changed"] is False


def test_check_mode_leaves_the_file_alone(tmp_path, module_runner):
    path = env_file(tmp_path)
    result = module_runner("start_flag", {"path": str(path)}, check_mode=True)
    assert result["changed"] is True and result["value"] == '"--upgrade-complete "'
    assert path.read_bytes() == INSTALLED.encode()


def test_a_file_without_the_line_is_refused(tmp_path, module_runner):
    path = env_file(tmp_path, "OTHER=1\n")
    result = module_runner("start_flag", {"path": str(path)})
    assert result["failed"] is True
    assert result["msg"] == ('editing KAIWUDB_START_ARG in %s: the file has no KAIWUDB_START_ARG= line, so the unit '
                             'would pass no flag (deploy.sh install writes KAIWUDB_START_ARG="")' % path)


def test_a_missing_file(tmp_path, module_runner):
    path = str(tmp_path / "missing")
    assert module_runner("start_flag", {"path": path, "state": "absent"})["changed"] is False
    result = module_runner("start_flag", {"path": path})
    assert result["failed"] is True
    assert result["msg"] == ('editing KAIWUDB_START_ARG in %s: the file does not exist (deploy.sh install writes it '
                             'with KAIWUDB_START_ARG="")' % path)


def test_an_invalid_flag(tmp_path, module_runner):
    result = module_runner("start_flag", {"path": str(env_file(tmp_path)), "flag": "--a b"})
    assert result["failed"] is True
    assert result["msg"] == ("editing KAIWUDB_START_ARG in %s/kaiwudb_env: invalid start flag '--a b': expected one "
                             "option word such as --upgrade-complete" % tmp_path)
