#!/usr/bin/env bash
# Shared helpers: package checks, /etc/kaiwudb/info/MODE accessors, service state, privilege and
# the ssh fan-out used for cluster nodes (functions and variables are shipped to the remote shell).

# packages/: container (KaiwuDB.tar) or bare (server + libcommon packages); sets g_deploy_type, g_package_tool
function verify_files() {
  if [ ! -d $g_deploy_path/packages ];then
    log_err "$g_deploy_path/packages: No such directory."
    exit 1
  fi
  local files
  files=$(ls $g_deploy_path/packages)
  if echo "$files" | grep -qw "KaiwuDB.tar";then
    g_deploy_type="container"
  else
    g_deploy_type="bare"
  fi
  push_back "g_deploy_type"
  [ "$g_deploy_type" = "bare" ] || return 0
  if dpkg --help >/dev/null 2>&1;then
    g_package_tool="dpkg"
  else
    g_package_tool="rpm"
  fi
  push_back "g_package_tool"
  local item
  for item in server libcommon;do
    if ! echo "$files" | grep -q "$item";then
      log_err "Package $item does not exist."
      exit 1
    fi
  done
}

function install_check() {
  if [ -e /etc/systemd/system/kaiwudb.service ];then
    echo "KaiwuDB is already installed."
    return 0
  fi
  echo "KaiwuDB is not install."
  return 1
}

# IPv4 address, optionally with :port
function addr_check() {
  local ip=${1%%:*}
  if [[ "$ip" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] && \
     echo "$ip" | awk -F. '{exit !($1<=255 && $2<=255 && $3<=255 && $4<=255)}';then
    echo "yes"
  else
    echo "no"
  fi
}

# ssh_passwd_free runs on the remote node: reaching it is the check
function ssh_passwd_free() {
  exit 0
}

# mode_line N: line N of /etc/kaiwudb/info/MODE ('$' is the last line)
function mode_line() {
  [ -f /etc/kaiwudb/info/MODE ] || return 1
  sed -n "$1p" /etc/kaiwudb/info/MODE
}

function install_type() {
  local type
  type=$(mode_line 1) || return 1
  case "$type" in
    bare|container) echo "$type" ;;
    *) return 1 ;;
  esac
}

function running_type() {
  local type
  type=$(mode_line 2) || return 1
  case "$type" in
    single|single-replication|multi-replication) echo "$type" ;;
    *) return 1 ;;
  esac
}

function install_dir() { mode_line 3; }
function container_image() { mode_line 3; }
function kw_data_dir() { mode_line 4; }
function local_port() { mode_line 5; }
function user_name() { mode_line 7; }
function local_addr() { mode_line '$'; }

function secure_mode() {
  if [ -f /etc/kaiwudb/info/MODE ];then
    mode_line 8
  elif [ -e /etc/kaiwudb/certs/tlcp_ca.crt ];then
    echo "tlcp"
  elif [ -e /etc/kaiwudb/certs/ca.crt ];then
    echo "tls"
  else
    echo "insecure"
  fi
}

function secure_opt() {
  local certs=/etc/kaiwudb/certs
  [ "$(install_type)" = "bare" ] || certs=/kaiwudb/certs
  case "$(secure_mode)" in
    tls) echo "--certs-dir=$certs" ;;
    tlcp) echo "--certs-dir=$certs --tlcp" ;;
    *) echo "--insecure" ;;
  esac
}

function cmd_prefix() {
  if [ "$REMOTE" = "ON" ];then
    echo "$node_cmd_prefix"
  else
    echo "$local_cmd_prefix"
  fi
}

# remote nodes receive files in ~/kaiwudb_files
function node_dir() {
  cd ~
  [ -d kaiwudb_files ] && eval $node_cmd_prefix rm -rf kaiwudb_files
  mkdir -p kaiwudb_files
}

# running: systemd MainPID != 0 (bare) or the container is Up
function kw_status() {
  if [ "$(install_type)" = "bare" ];then
    local main_pid
    main_pid=$(systemctl show --property MainPID --value kaiwudb)
    if [ "${main_pid:-0}" -ne 0 ];then
      echo "KaiwuDB already running."
      return 0
    fi
  elif docker ps -a --filter name=kaiwudb-container --format '{{.Status}}' 2>/dev/null | grep -q '^Up';then
    echo "KaiwuDB already running."
    return 0
  fi
  echo "KaiwuDB is not running."
  return 1
}

# kwbase_cli ARGS...: run kwbase as the management user against the local node
function kwbase_cli() {
  if [ "$(install_type)" = "bare" ];then
    cd /usr/local/kaiwudb/bin
    eval "$(cmd_prefix) -u $(user_name) bash -c \"./kwbase $* --host=127.0.0.1:$(local_port) $(secure_opt)\""
  else
    docker exec kaiwudb-container bash -c "./kwbase $* --host=127.0.0.1:26257 $(secure_opt)"
  fi
}

# answers when the node serves `kwbase node status`
function whether_running() {
  kwbase_cli node status 2>&1
}

function remove_packages() {
  local prefix pkg
  prefix=$(cmd_prefix)
  for pkg in kaiwudb-server kaiwudb-libcommon kwdb-server kwdb-libcommon;do
    if [ "$g_package_tool" = "dpkg" ];then
      eval $prefix dpkg -r $pkg >/dev/null 2>&1
    else
      eval $prefix rpm -e $pkg >/dev/null 2>&1
    fi
  done
}

# undo a failed install: packages and user go, /etc/kaiwudb and the data dir are archived in ~
function rollback() {
  local prefix
  prefix=$(cmd_prefix)
  [ "$REMOTE" = "ON" ] && eval $prefix rm -rf ~/kaiwudb_files
  remove_packages
  if [ -f /etc/kaiwudb/info/MODE ];then
    local user
    user=$(user_name)
    eval $prefix userdel -r $user >/dev/null 2>&1
    sudo sed -i "/^$user ALL=(ALL)  NOPASSWD: ALL$/d" /etc/sudoers
    eval $prefix tar -zcvf ~/kaiwudb_files.tar.gz -C/etc kaiwudb >/dev/null 2>&1
    eval $prefix tar -zcvf ~/kw_data.tar.gz $(kw_data_dir) >/dev/null 2>&1
  fi
}

function privileged() {
  [ "$(whoami)" = "root" ] && return 0
  timeout --foreground -k 1 1s sudo -n -s exit >/dev/null 2>&1
}

function read_passwd() {
  local passwd=""
  read -s -t60 -p "Please input $1's password: " passwd
  echo $passwd
}

function local_privileged() {
  if privileged;then
    local_cmd_prefix="sudo"
  else
    local_cmd_prefix="echo '$(read_passwd $g_cur_usr)' | sudo -S -p \"\""
    echo
    if ! eval $local_cmd_prefix -k -s exit >/dev/null 2>&1;then
      echo -e "\033[31m[ERROR]\033[0m Incorrect password." >&2
      exit 1
    fi
  fi
  if ! eval $local_cmd_prefix bash -c "exit" >/dev/null 2>&1;then
    echo -e "\033[31m[ERROR]\033[0m Can not use command: 'sudo bash'." >&2
    exit 1
  fi
}

# remote_privileged ADDR SSH_PORT SSH_USER: sets node_cmd_prefix for the remote nodes
function remote_privileged() {
  if ssh -q -p $2 $3@$1 "$(declare -f privileged); privileged";then
    node_cmd_prefix="sudo"
  else
    node_cmd_prefix="echo '$(read_passwd $3)' | sudo -S -p \"\""
    echo
    if ! ssh -q -p $2 $3@$1 "$node_cmd_prefix -s exit" >/dev/null 2>&1;then
      echo -e "\033[31m[ERROR]\033[0m Incorrect password." >&2
      exit 1
    fi
  fi
  push_back "node_cmd_prefix"
}

# remote_exec ADDR SSH_PORT SSH_USER FUNCTION: run FUNCTION on ADDR with this script's functions and globals.
# Exit status 1 of the function is fatal, 2 a warning; for kw_status, "running" is the failure.
function remote_exec() {
  local ret ret_value
  cd $g_deploy_path
  ret=$(ssh -q -p $2 $3@$1 "$(declare -f);$(declare -p ${global_vars[*]} 2>/dev/null);export REMOTE=ON;$4 $1 $2 $3")
  ret_value=$?
  if [ "$4" = "kw_status" ];then
    if [ $ret_value -eq 0 ];then
      log_err "$4 exec failed in $1: $ret"
      exit 1
    fi
    return 0
  fi
  if [ $ret_value -eq 1 ];then
    log_err "$4 exec failed in $1: $ret"
    exit 1
  fi
  if [ $ret_value -eq 2 ];then
    log_warn "warning in $1: $ret"
  fi
  return 0
}

# run_on_nodes "ADDR..." PORT USER COMMAND ARGS...: COMMAND ADDR PORT USER ARGS... on every node, at most 5 at once
function run_on_nodes() {
  local nodes=($1) port=$2 user=$3 command=$4
  shift 4
  local node rc=0 pids=()
  for node in ${nodes[@]};do
    $command $node $port $user "$@" &
    pids+=($!)
    if [ ${#pids[@]} -ge 5 ];then
      wait ${pids[0]} || rc=1
      pids=("${pids[@]:1}")
    fi
  done
  for node in ${pids[@]};do
    wait $node || rc=1
  done
  return $rc
}

function parallel_exec() {
  run_on_nodes "$1" $2 $3 remote_exec $4
}

# distribute_files ADDR SSH_PORT SSH_USER PATHS: scp into ~/kaiwudb_files/ of the node
function distribute_files() {
  local ret
  ret=$(scp -r -P $2 $4 $3@$1:~/kaiwudb_files/ 2>&1)
  if [ $? -ne 0 ];then
    log_err "Distribute files failed in $1: $ret."
    exit 1
  fi
}

function parallel_distribute() {
  cd $g_deploy_path
  run_on_nodes "$1" $2 $3 distribute_files "$4"
}

function rollback_all() {
  cd $g_deploy_path
  rollback
  parallel_exec "$1" $2 $3 rollback
  return 0
}

function push_back() {
  global_vars+=("$1")
}
