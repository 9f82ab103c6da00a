#!/usr/bin/env bash
# KWDB bare-metal deploy script of the testbed's simulated release packages.
# Commands, files and messages follow KWDB/KWDB kaiwudb_install/deploy.sh; see FIDELITY.md.

g_deploy_path=$(cd $(dirname $0);pwd)
g_cur_usr=$(whoami)
declare -a global_vars

source $g_deploy_path/utils/kaiwudb_common.sh
source $g_deploy_path/utils/utils.sh
source $g_deploy_path/utils/kaiwudb_log.sh

function global_usage() {
  echo "Usage:
  deploy.sh Commands [Options]

Commands:
  install                  Install KaiwuDB
  uninstall                Uninstall KaiwuDB in local node
  cluster                  Cluster operate
  start                    Start KaiwuDB in local node
  stop                     Stop KaiwuDB in local node
  restart                  Restart KaiwuDB in local node
  status                   Get local node KaiwuDB status
Options:
  -h, --help
"
  exit 0
}

function install_usage() {
  echo "Usage:
  deploy.sh install [Options]

Options:
  --single                  single mode(default)
  --single-replica          single replication mode
  --multi-replica           multi replication mode
  --use-certs               use existing certs in /etc/kaiwudb/certs
  -h, --help                help message
"
  exit 0
}

function cluster_usage() {
  echo "Usage:
  deploy.sh cluster [Options]
Options:
  -i, --init                     Start and init all cluster
  -s, --status                   Show all nodes status
  -h, --help                     help message
"
  exit 0
}

function upgrade_usage() {
  echo "Usage:
  deploy.sh upgrade [Options]

Options:
  -l, --local             local node upgrade
  -a, --all               whole cluster upgrade
  --bypass-version-check  ignore version compare check
  -h, --help              help message
"
  exit 0
}

# the certs tarball must exist (an existing file is taken as is, like the vendor script)
function check_use_certs() {
  g_use_certs="$(cd $(dirname $1) 2>/dev/null && pwd)/$(basename $1)"
  if [ ! -f "$g_use_certs" ];then
    echo "The certs file is invalid.Must be tar file."
    exit 1
  fi
}

function cmd_check() {
  local options help=false
  options=$(getopt -a -o hsial -l help,single,init,status,cpu:,addr:,single-replica,multi-replica,local,all,bypass-version-check,tls,tlcp,use-certs: -n "deploy.sh" -- "$@" 2>/dev/null) || global_usage
  eval set -- "$options"
  while [ $# -gt 0 ];do
    case "$1" in
      --) g_kw_cmd=$2; break ;;
      -h|--help) help=true ;;
      --single) g_install_mode="single" ;;
      --single-replica) g_install_mode="single-replication" ;;
      --multi-replica) g_install_mode="multi-replication" ;;
      --use-certs) check_use_certs $2; shift ;;
      -i|--init) g_cluster_opt="init" ;;
      -s|--status) g_cluster_opt="status" ;;
      -l|--local) g_upgrade_opt="local" ;;
      -a|--all) g_upgrade_opt="all" ;;
      --bypass-version-check) g_ign_cmp="yes" ;;
      --cpu|--addr) shift ;;
    esac
    shift
  done
  push_back "g_install_mode"
  case "$g_kw_cmd" in
    install) { [ -z "$g_install_mode" ] || $help; } && install_usage ;;
    cluster) { [ -z "$g_cluster_opt" ] || $help; } && cluster_usage ;;
    upgrade) $help && upgrade_usage ;;
    uninstall|start|stop|restart|status) ;;
    join|decommission|limit)
      echo "deploy.sh: '$g_kw_cmd' is not simulated by the testbed." >&2
      exit 2
      ;;
    *) global_usage ;;
  esac
}

# cfg_value SECTION KEY VAR [REQUIRED-MESSAGE]: read deploy.cfg into VAR (exported to remote nodes)
function cfg_value() {
  push_back "$3"
  printf -v "$3" '%s' "$(read_config_value $g_deploy_path/deploy.cfg $1 $2)"
  if [ -n "$4" ] && [ -z "${!3}" ];then
    log_err "$4"
    exit 1
  fi
}

function port_check() {
  if [ ${!1} -le 0 -o ${!1} -gt 65535 ];then
    log_err "The $2 value is incorrect, range [1-65535]."
    exit 1
  fi
}

function cfg_check() {
  cfg_value global secure_mode g_secure_mode
  if [[ ! "$g_secure_mode" =~ ^(tls|tlcp|insecure)$ ]];then
    log_err "secure_mode is missing in deploy.cfg."
    exit 1
  fi
  cfg_value global encrypto_store g_encrypto_store
  [ -z "$g_encrypto_store" ] && g_encrypto_store=false
  if [[ ! "$g_encrypto_store" =~ ^(true|false)$ ]];then
    log_err "encrypto_store is invalid."
    exit 1
  fi
  cfg_value global management_user g_user "management_user is missing in deploy.cfg."
  cfg_value global rest_port g_rest_port "rest_port is missing in deploy.cfg."
  port_check g_rest_port rest_port
  cfg_value global kaiwudb_port g_kwdb_port "kaiwudb_port is missing in deploy.cfg."
  port_check g_kwdb_port kaiwudb_port
  cfg_value global brpc_port g_brpc_port "brpc_port is missing in deploy.cfg."
  port_check g_brpc_port brpc_port
  cfg_value global cpu g_cpu_usage
  [ -z "$g_cpu_usage" ] && g_cpu_usage=0
  if ! echo $g_cpu_usage | awk '{exit ($1>1 || $1<0)}';then
    log_err "cpu value is incorrect[0-1]."
    exit 1
  fi
  cfg_value global data_root g_data_root "data_root is missing in deploy.cfg."
  cfg_value local node_addr g_local_addr "[local]node_addr is missing in deploy.cfg."
  if [ "$(addr_check $g_local_addr)" = "no" ];then
    log_err "The [local]node_addr format is incorrect."
    exit 1
  fi
  if grep -Eq "^\[cluster\]$" $g_deploy_path/deploy.cfg;then
    local addrs addr
    addrs=$(read_config_value $g_deploy_path/deploy.cfg cluster node_addr)
    g_cls_array=(${addrs//,/ })
    if [ ${#g_cls_array[@]} -eq 0 ];then
      log_err "[cluster]node_addr is missing in deploy.cfg."
      exit 1
    fi
    for addr in ${g_cls_array[@]};do
      if [ "$(addr_check $addr)" = "no" ];then
        log_err "The [cluster]node_addr($addr) format is incorrect."
        exit 1
      fi
    done
    cfg_value cluster ssh_port g_ssh_port "ssh_port is missing in deploy.cfg."
    port_check g_ssh_port ssh_port
    cfg_value cluster ssh_user g_ssh_user "ssh_user is missing in deploy.cfg."
  fi
  if grep -Eq "^\[additional\]$" $g_deploy_path/deploy.cfg;then
    g_ips=$(read_config_value $g_deploy_path/deploy.cfg additional IPs)
    g_ips=(${g_ips//,/ })
    if [ ${#g_ips[@]} -eq 0 ];then
      log_err "[additional]IPs is missing in deploy.cfg."
      exit 1
    fi
  fi
}

function show_deploy_info() {
  { tput cuu1 && tput el; } 2>/dev/null
  local confirm=y cpu_usage=$g_cpu_usage
  [ "$g_cpu_usage" = "0" ] && cpu_usage=unlimited
  echo "================= KaiwuDB Basic Info ================="
  echo -e "Deploy Mode: \e[1;34m$g_deploy_type\e[0m"
  [ "$g_deploy_type" = "bare" ] && echo -e "Management User: \e[1;34m$g_user\e[0m"
  echo -e "Start Mode: \e[1;34m$g_install_mode\e[0m"
  echo -e "RESTful Port: \e[1;34m$g_rest_port\e[0m"
  echo -e "KaiwuDB Port: \e[1;34m$g_kwdb_port\e[0m"
  echo -e "BRPC Port: \e[1;34m$g_brpc_port\e[0m"
  echo -e "Data Root: \e[1;34m$g_data_root\e[0m"
  echo -e "Secure Mode: \e[1;34m$g_secure_mode\e[0m"
  echo -e "CPU Usage Limit: \e[1;34m$cpu_usage\e[0m"
  echo -e "Local Node Address: \e[1;34m$g_local_addr\e[0m"
  if [ "$g_install_mode" != "single" ] && [ ${#g_cls_array[*]} -ne 0 ];then
    echo "================= KaiwuDB Cluster Info ================="
    echo -e "Cluster Node Address: \e[1;34m${g_cls_array[*]}\e[0m"
    echo -e "SSH User: \e[1;34m$g_ssh_user\e[0m"
    echo -e "SSH Port: \e[1;34m$g_ssh_port\e[0m"
  fi
  echo -e "======================================================"
  read -p "Please confirm the installation information above(Y/n):" confirm
  if [ "$confirm" != "y" ] && [ "$confirm" != "Y" ];then
    echo "Installation cancelled."
    exit 0
  fi
}

# progress: open the pipe on fd 10 and start the bar
function start_progress() {
  local pipe=$g_deploy_path/kw_pipe func_info
  if [ ! -p $pipe ];then
    func_info=$(mkfifo $pipe 2>&1)
    if [ $? -ne 0 ];then
      log_err "Pipe create failed: $func_info."
      exit 1
    fi
  fi
  exec 10<>$pipe
  rm -rf $pipe
  source $g_deploy_path/utils/process_bar.sh
  process_bar $$ &
  process_pid=$!
}

function progress() {
  echo "$1" >&10
}

function finish_progress() {
  wait $process_pid
  exec 10>&-
}

function require_installed() {
  if ! install_check >/dev/null 2>&1;then
    log_err "KaiwuDB does not exist. Please install KaiwuDB first."
    exit 1
  fi
}

# fail_on ERROR-PREFIX FUNCTION: run FUNCTION, log "<prefix>: <its output>." and exit 1 when it fails
function fail_on() {
  local func_info
  func_info=$($2)
  if [ $? -ne 0 ];then
    log_err "$1: $func_info."
    exit 1
  fi
}

function cmd_install() {
  cfg_check
  verify_files
  show_deploy_info
  start_progress
  source $g_deploy_path/utils/kaiwudb_install.sh
  source $g_deploy_path/utils/kaiwudb_hardware.sh
  progress "install#check:5"
  if install_check >/dev/null 2>&1;then
    log_err "KaiwuDB is already installed."
    exit 1
  fi
  progress "hardware#check:10"
  cpu_info || log_warn "The number of CPU cores does not meet the requirement. KaiwuDB may running failed."
  mem_info || log_warn "The memory does not meet the requirement. KaiwuDB may running failed."
  progress "configure#file#check:15"
  cfg_check
  local nodes="${g_cls_array[*]}" func_info
  progress "ssh-passwd-free#check:20"
  parallel_exec "$nodes" $g_ssh_port $g_ssh_user ssh_passwd_free || exit 1
  if [ -n "$nodes" ];then
    progress "pause"
    remote_privileged ${g_cls_array[0]} $g_ssh_port $g_ssh_user
  fi
  progress "capture#SIGINT:30"
  trap "rollback_all \"$nodes\" $g_ssh_port $g_ssh_user && kill -9 $process_pid" INT
  progress "create#node#dir:35"
  parallel_exec "$nodes" $g_ssh_port $g_ssh_user node_dir || exit 1
  progress "local#dir#init:45"
  func_info=$(init_directory)
  [ $? -eq 2 ] && log_warn $func_info
  progress "node#dir#init:50"
  parallel_exec "$nodes" $g_ssh_port $g_ssh_user init_directory
  progress "distribute#packages:55"
  if ! parallel_distribute "$nodes" $g_ssh_port $g_ssh_user "$g_deploy_path/packages";then
    rollback_all "$nodes" $g_ssh_port $g_ssh_user
    exit 1
  fi
  progress "local#install:60"
  func_info=$(install $g_local_addr)
  if [ $? -ne 0 ];then
    log_err "Install failed: $func_info"
    rollback_all "$nodes" $g_ssh_port $g_ssh_user
    exit 1
  fi
  g_image_name=$func_info
  progress "node#install:65"
  install_step parallel_exec "$nodes" $g_ssh_port $g_ssh_user install
  progress "create#configure:70"
  create_info_files
  if [ "$g_secure_mode" != "insecure" ] || [ -n "$g_use_certs" ];then
    progress "create#certs:75"
    install_step create_certificate
  fi
  install_step create_encrypto_key
  progress "distribute#configure:80"
  install_step parallel_distribute "$nodes" $g_ssh_port $g_ssh_user "/etc/kaiwudb/*"
  parallel_exec "$nodes" $g_ssh_port $g_ssh_user cp_files
  if [ "$g_deploy_type" = "bare" ];then
    progress "pause"
    management_passwd=$(read_passwd $g_user)
    format_print
    push_back "management_passwd"
    func_info=$(user_create)
    if [ $? -ne 0 ];then
      log_err "Create user failed: $func_info"
      rollback_all "$nodes" $g_ssh_port $g_ssh_user
      exit 1
    fi
    install_step parallel_exec "$nodes" $g_ssh_port $g_ssh_user user_create
  fi
  progress "create#service:85"
  create_service $g_local_addr
  install_step parallel_exec "$nodes" $g_ssh_port $g_ssh_user create_service
  progress "compress#certs:95"
  compress_certs
  progress "install#complete:100"
  finish_progress
  echo -e "\e[1;32m[INSTALL COMPLETED]:\e[0mKaiwuDB has been installed successfully! To start KaiwuDB, please execute the command '\e[1;34msystemctl daemon-reload\e[0m'."
  exit 0
}

# install_step COMMAND ARGS...: on failure roll back every node and exit 1
function install_step() {
  if ! "$@";then
    rollback_all "${g_cls_array[*]}" $g_ssh_port $g_ssh_user
    exit 1
  fi
}

function cmd_uninstall() {
  source $g_deploy_path/utils/kaiwudb_uninstall.sh
  require_installed
  if kw_status >/dev/null 2>&1;then
    log_err "Please stop KaiwuDB first."
    exit 1
  fi
  clear_opt="n"
  read -t60 -p "When uninstalling KaiwuDB, you can either delete or keep all user data. Please confirm your choice: Do you want to delete the data? (y/N)" -e clear_opt
  uninstall
  delete_user
  local func_info
  func_info=$(uninstall_dir)
  if [ $? -ne 0 ];then
    log_err "dir uninstall error:$func_info"
    exit 1
  fi
  echo -e "\e[1;32m[UNINSTALL COMPLETED]:\e[0mKaiwuDB has been uninstalled successfully."
  exit 0
}

function cmd_cluster_init() {
  require_installed
  parse_addr
  parallel_exec "${ip_arr[*]}" $ssh_port $ssh_user ssh_passwd_free || exit 1
  parallel_exec "${ip_arr[*]}" $ssh_port $ssh_user install_check || exit 1
  if [ "$(running_type)" = "single" ];then
    log_err "The current mode is not supported cluster init."
    exit 1
  fi
  if [ ! -f /etc/kaiwudb/info/NODE ];then
    log_err "Cluster already init."
    exit 1
  fi
  if kw_status >/dev/null 2>&1;then
    log_err "KaiwuDB already running."
    exit 1
  fi
  [ ${#ip_arr[*]} -ne 0 ] && remote_privileged ${ip_arr[0]} $ssh_port $ssh_user
  parallel_exec "${ip_arr[*]}" $ssh_port $ssh_user kw_status || exit 1
  if ! exec_start >/dev/null 2>&1;then
    log_err "Start KaiwuDB failed. For more information, check kwbase's log."
    exit 1
  fi
  parallel_exec "${ip_arr[*]}" $ssh_port $ssh_user exec_start || exit 1
  fail_on "Cluster init failed" cluster_init
  echo -e "\e[1;32m[INIT COMPLETED]:\e[0mCluster init successfully."
  exit 0
}

function cmd_cluster() {
  source $g_deploy_path/utils/kaiwudb_cluster.sh
  source $g_deploy_path/utils/kaiwudb_operate.sh
  if [ "$g_cluster_opt" = "init" ];then
    cmd_cluster_init
  fi
  require_installed
  if ! kw_status >/dev/null 2>&1;then
    log_err "KaiwuDB is not running."
    exit 1
  fi
  cluster_status
}

function cmd_status() {
  require_installed
  if kw_status >/dev/null 2>&1;then
    echo -e "\e[1;32m[STATUS COMPLETED]:\e[0mKaiwuDB is runnning now."
  else
    echo -e "\e[1;32m[STATUS COMPLETED]:\e[0mKaiwuDB is not runnning."
  fi
  exit 0
}

function cmd_start() {
  source $g_deploy_path/utils/kaiwudb_operate.sh
  require_installed
  if kw_status >/dev/null 2>&1;then
    log_err "KaiwuDB is runnning now."
    exit 1
  fi
  if ! kw_start >/dev/null 2>&1;then
    log_err "Start KaiwuDB failed. For more information, check kwbase log."
    exit 1
  fi
  echo -e "\e[1;32m[START COMPLETED]:\e[0mKaiwuDB start successfully."
}

# cmd_stop_restart stop|restart
function cmd_stop_restart() {
  source $g_deploy_path/utils/kaiwudb_operate.sh
  require_installed
  if ! kw_status >/dev/null 2>&1;then
    log_err "KaiwuDB is not runnning now."
    exit 1
  fi
  local action=Stop
  [ "$1" = "restart" ] && action=Restart
  if ! kw_$1;then
    log_err "$action KaiwuDB failed. For more information, use 'journalctl -u kaiwudb' to view the system logs."
    exit 1
  fi
  echo -e "\e[1;32m[${action^^} COMPLETED]:\e[0mKaiwuDB ${action,} successfully."
}

# the local node: offline swap when stopped, online (mark, swap, restart) when running in a cluster mode
function upgrade_local() {
  if [ "$g_ign_cmp" != "yes" ];then
    progress "version#compare:50"
    local func_info
    func_info=$(version_compare)
    if [ $? -ne 0 ];then
      log_err "$func_info"
      exit 1
    fi
  fi
  progress "whether#running:60"
  if ! kw_status >/dev/null 2>&1;then
    progress "upgrade:70"
    # the vendor script reports a failed offline swap with this (misleading) text
    fail_on "Pipe create failed" upgrade
  elif [ "$(running_type)" != "single" ];then
    progress "change#KaiwuDB#status:75"
    fail_on "KaiwuDB change status failed" change_kwdb_status
    progress "upgrade:80"
    fail_on "KaiwuDB upgrade failed" upgrade
    progress "restart#KaiwuDB:90"
    fail_on "Recover KaiwuDB failed" recover_node
  else
    log_err "Current local node is not support online upgrade! Please stop KaiwuDB then try again."
    exit 1
  fi
  progress "upgrade#complete:100"
  finish_progress
  echo -e "\e[1;32m[UPGRADE COMPLETED]:\e[0mLocal node upgrade successfully."
}

# every node, online: local first, then the others one by one (no health gate between nodes)
function upgrade_all() {
  local node func_info
  progress "get#Kaiwudb#status:45"
  if ! kw_status >/dev/null 2>&1;then
    log_err "KaiwuDB is not runnning, can not get cluster nodes status."
    exit 1
  fi
  progress "get#all#nodes:50"
  get_cluster_nodes
  progress "ssh#passwd#free:55"
  parallel_exec "${addr_array[*]}" $ssh_port $ssh_user ssh_passwd_free || exit 1
  progress "pause"
  [ ${#addr_array[*]} -ne 0 ] && remote_privileged ${addr_array[0]} $ssh_port $ssh_user
  progress "distribute#packages:60"
  parallel_exec "${addr_array[*]}" $ssh_port $ssh_user node_dir || exit 1
  parallel_distribute "${addr_array[*]}" $ssh_port $ssh_user "$g_deploy_path/packages" || exit 1
  if [ "$g_ign_cmp" != "yes" ];then
    progress "version#compare:70"
    func_info=$(version_compare)
    [ $? -ne 0 ] && log_err "$func_info"
    parallel_exec "${addr_array[*]}" $ssh_port $ssh_user version_compare || exit 1
  fi
  progress "change#status:75"
  fail_on "KaiwuDB change status failed" change_kwdb_status
  progress "local#upgrade:80"
  fail_on "KaiwuDB upgrade failed" upgrade
  progress "local#restart:85"
  fail_on "Recover KaiwuDB failed" recover_node
  progress "remote#upgrade:90"
  for node in ${addr_array[*]};do
    sleep 5
    remote_exec $node $ssh_port $ssh_user change_kwdb_status
    remote_exec $node $ssh_port $ssh_user upgrade
    remote_exec $node $ssh_port $ssh_user recover_node
  done
  progress "upgrade#done:100"
  finish_progress
  echo -e "\e[1;32m[UPGRADE COMPLETED]:\e[0mCluster upgrade completed."
}

function cmd_upgrade() {
  trap "" INT
  source $g_deploy_path/utils/kaiwudb_install.sh
  source $g_deploy_path/utils/kaiwudb_upgrade.sh
  source $g_deploy_path/utils/kaiwudb_cluster.sh
  source $g_deploy_path/utils/kaiwudb_operate.sh
  start_progress
  progress "install#check:10"
  require_installed
  progress "verify#packages:20"
  verify_files
  progress "verify#install#type:30"
  if [ "$g_deploy_type" != "$(install_type)" ];then
    log_err "Current use $(install_type), but the package is $g_deploy_type."
    exit 1
  fi
  case "$g_upgrade_opt" in
    local) upgrade_local ;;
    all) upgrade_all ;;
  esac
}

cmd_check "$@"
local_privileged
log_init $g_deploy_path $g_cur_usr
push_back "LOG_FILE"
push_back "LOG_LEVEL"

case "$g_kw_cmd" in
  install) cmd_install ;;
  uninstall) cmd_uninstall ;;
  cluster) cmd_cluster ;;
  status) cmd_status ;;
  start) cmd_start ;;
  stop|restart) cmd_stop_restart $g_kw_cmd ;;
  upgrade) cmd_upgrade ;;
esac
