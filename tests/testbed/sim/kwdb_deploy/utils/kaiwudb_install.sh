#!/usr/bin/env bash
# install: directories, packages, info files, certificates, management user, systemd unit.

function init_directory() {
  local prefix
  prefix=$(cmd_prefix)
  eval $prefix rm -rf /etc/kaiwudb
  sudo mkdir -p /etc/kaiwudb/certs /etc/kaiwudb/script /etc/kaiwudb/info
  if [ ! -e $g_data_root ];then
    eval $prefix mkdir -p $g_data_root
  elif [ -n "$(ls -A $g_data_root)" ];then
    echo "Data dir is not empty"
    return 2
  fi
}

# packages_dir: where this node holds the release packages
function packages_dir() {
  if [ "$REMOTE" = "ON" ];then
    echo ~/kaiwudb_files/packages
  else
    echo $g_deploy_path/packages
  fi
}

# install_packages: libcommon first, then server (prints the package tool's output on failure)
function install_packages() {
  local prefix dir ret pkg opts=""
  prefix=$(cmd_prefix)
  dir=$(packages_dir)
  [ "$g_package_tool" = "rpm" ] && opts="-ivh $1"
  cd $dir
  for pkg in $(ls $dir | grep "libcommon") $(ls $dir | grep "server");do
    if [ "$g_package_tool" = "dpkg" ];then
      ret=$(eval $prefix dpkg -i ./$pkg 2>&1)
    else
      ret=$(eval $prefix rpm $opts ./$pkg 2>&1)
    fi
    if [ $? -ne 0 ];then
      echo "$ret"
      return 1
    fi
  done
}

function install() {
  local prefix ret dir
  prefix=$(cmd_prefix)
  dir=$(packages_dir)
  eval $prefix -s "exit" >/dev/null 2>&1
  if [ "$g_deploy_type" = "bare" ];then
    install_packages --replacepkgs || return 1
  else
    if ! docker --help >/dev/null 2>&1;then
      echo "Command not found: docker."
      return 1
    fi
    if ! which docker-compose >/dev/null 2>&1;then
      echo "Command not found: docker-compose."
      return 1
    fi
    echo "Container deployment is not simulated by the testbed."
    return 1
  fi
  ret=$(eval $prefix cp -f $dir/.version /etc/kaiwudb/info 2>&1)
  if [ $? -ne 0 ];then
    echo "$ret"
    return 1
  fi
  return 0
}

# /etc/kaiwudb/info/MODE: type, install mode, install dir, data root, port, rest port, user, secure mode,
# store encryption (the node address is appended by create_service); NODE: remote addrs, ssh port, ssh user
function create_info_files() {
  log_info_without_console "start create /etc/kaiwudb/info/MODE /etc/kaiwudb/info/NODE."
  [ -e /etc/kaiwudb/info/MODE ] && eval $local_cmd_prefix rm /etc/kaiwudb/info/*
  local install_location=/usr/local/kaiwudb
  [ "$g_deploy_type" = "bare" ] || install_location=$g_image_name
  printf '%s\n' "$g_deploy_type" "$g_install_mode" "$install_location" "$g_data_root" "$g_kwdb_port" \
    "$g_rest_port" "$g_user" "$g_secure_mode" "$g_encrypto_store" | sudo tee /etc/kaiwudb/info/MODE >/dev/null
  if [ "$g_install_mode" != "single" ];then
    printf '%s\n' "${g_cls_array[*]}" "$g_ssh_port" "$g_ssh_user" | sudo tee /etc/kaiwudb/info/NODE >/dev/null
  fi
  echo 'KAIWUDB_START_ARG=""' | sudo tee /etc/kaiwudb/script/kaiwudb_env >/dev/null
  log_info_without_console "create /etc/kaiwudb/info/MODE /etc/kaiwudb/info/NODE successfully."
}

# kwbase_cert ARGS...: one `kwbase cert` call as root; logs and fails with WHAT on error
function kwbase_cert() {
  local what=$1 ret
  shift
  ret=$(cd /usr/local/kaiwudb/bin && sudo bash -c "./kwbase cert $* 2>&1")
  if [ $? -ne 0 ];then
    log_err "$what certificate creats failed: $ret"
    return 1
  fi
}

function create_certificate() {
  local certs=/etc/kaiwudb/certs
  if [ -n "$g_use_certs" ];then
    if ! sudo tar -zxvf $g_use_certs -C $certs >/dev/null 2>&1;then
      log_err "Extract certs failed. Please check whether the certs file is valid."
      return 1
    fi
  else
    local mode_opt=""
    [ "$g_secure_mode" = "tlcp" ] && mode_opt="--tlcp"
    [ "$g_secure_mode" = "insecure" ] && mode_opt="--insecure"
    log_info_without_console "start create certificate files in $certs."
    sudo ldconfig
    local ca="--certs-dir=$certs --ca-key=$certs/ca.key $mode_opt"
    if [ ! -f $certs/ca.key -o ! -f $certs/ca.crt ];then
      kwbase_cert CA create-ca $ca || return 1
    fi
    if [ ! -f $certs/node.key -o ! -f $certs/node.crt ];then
      kwbase_cert Node create-node $g_local_addr ${g_cls_array[*]} 127.0.0.1 0.0.0.0 ${g_ips[*]} localhost $ca || return 1
    fi
    if [ ! -f $certs/client.root.key -o ! -f $certs/client.root.crt ];then
      kwbase_cert Client create-client root $ca || return 1
    fi
  fi
  sudo chmod 755 $certs/*
  log_info_without_console "create certificate files in /etc/kaiwudb/certts successfully."
}

function create_encrypto_key() {
  [ "$g_encrypto_store" = "false" ] && return 0
  local ret
  ret=$(cd /usr/local/kaiwudb/bin && sudo bash -c "./kwbase gen encryption-key -s 128 /etc/kaiwudb/certs/sm4.key 2>&1")
  if [ $? -ne 0 ];then
    log_err "Create encrypto key failed: $ret"
    return 1
  fi
  sudo chmod 755 /etc/kaiwudb/certs/sm4.key
}

function user_create() {
  local prefix ret
  prefix=$(cmd_prefix)
  eval $prefix -s "exit" >/dev/null 2>&1
  grep -q "^$g_user:" /etc/group || eval $prefix groupadd $g_user >/dev/null 2>&1
  if ! grep -q "^$g_user:" /etc/passwd;then
    ret=$(eval $prefix useradd -g $g_user -m -s /bin/bash $g_user 2>&1)
    if [ $? -ne 0 ];then
      echo "$ret"
      return 1
    fi
    if [ -n "$management_passwd" ];then
      ret=$(echo "$g_user:$management_passwd" | sudo chpasswd 2>&1)
      if [ $? -ne 0 ];then
        echo "$ret"
        return 1
      fi
    fi
  fi
  if ! sudo grep -q "^$g_user ALL=(ALL)  NOPASSWD: ALL" /etc/sudoers;then
    echo "$g_user ALL=(ALL)  NOPASSWD: ALL" | sudo tee -a /etc/sudoers >/dev/null
  fi
  eval $prefix chown -R $g_user:$g_user /usr/local/kaiwudb >/dev/null 2>&1
  sudo chown -R $g_user:$g_user $g_data_root /etc/kaiwudb >/dev/null 2>&1
}

function bare_secure_param() {
  case $g_secure_mode in
    tls) echo "--certs-dir=/etc/kaiwudb/certs" ;;
    tlcp) echo "--certs-dir=/etc/kaiwudb/certs --tlcp" ;;
    *) echo "--insecure" ;;
  esac
}

# start_command ADVERTISE_ADDR: the kwbase command line of the unit (bare mode)
function start_command() {
  local start_type=start-single-node opt_join="" encrypto_opt=""
  case $g_install_mode in
    single-replication) start_type=start-single-replica; opt_join="--join $g_local_addr:$g_kwdb_port" ;;
    multi-replication) start_type=start; opt_join="--join $g_local_addr:$g_kwdb_port" ;;
  esac
  if [ "$g_encrypto_store" = "true" ];then
    encrypto_opt="--store-encryption=path=$g_data_root,key=/etc/kaiwudb/certs/sm4.key,cipher=sm4"
  fi
  echo "/usr/local/kaiwudb/bin/kwbase $start_type \$KAIWUDB_START_ARG $(bare_secure_param) --listen-addr=0.0.0.0:$g_kwdb_port" \
       "--advertise-addr=$1:$g_kwdb_port --http-addr=0.0.0.0:$g_rest_port --brpc-addr=0.0.0.0:$g_brpc_port" \
       "--store=$g_data_root $encrypto_opt $opt_join"
}

function cpu_quota() {
  [ "$g_cpu_usage" = "0" ] && return 0
  local cores
  cores=$(grep processor /proc/cpuinfo | sort -u | wc -l)
  echo $g_cpu_usage $cores | awk '{printf("CPUQuota=%.1f%%", $1*$2*100)}'
}

# helper_script COMMAND: body of kw-status.sh / kw-sql.sh
function helper_script() {
  printf '\n#!/bin/bash\ncd /usr/local/kaiwudb/bin\nsudo -u %s ./kwbase %s %s --host=127.0.0.1:%s\n' \
    "$g_user" "$1" "$(bare_secure_param)" "$g_kwdb_port"
}

# create_service ADDR: the systemd unit of this node (written as the vendor's echo does: leading blank line)
function create_service() {
  local prefix
  prefix=$(cmd_prefix)
  eval $prefix touch /etc/systemd/system/kaiwudb.service
  echo $1 | sudo tee -a /etc/kaiwudb/info/MODE >/dev/null
  if [ "$g_deploy_type" != "bare" ];then
    echo "Container deployment is not simulated by the testbed."
    return 1
  fi
  sudo tee /etc/systemd/system/kaiwudb.service >/dev/null <<UNIT

[Unit]
Description=KaiwuDB Service
After=network.target
Wants=network.target
[Service]
User=$g_user
Group=$g_user
Type=simple
LimitMEMLOCK=infinity
LimitNOFILE=1048576
$(cpu_quota)
WorkingDirectory=/usr/local/kaiwudb/bin
EnvironmentFile=/etc/kaiwudb/script/kaiwudb_env
ExecStartPre=$(which sudo) $(which sysctl) -w vm.max_map_count=10000000
ExecStart=$(start_command $1)
ExecStop=/bin/kill \$MAINPID
KillMode=control-group
# Restart=on-failure
# ExecStopPost=sudo umount -a -t squashfs
#RuntimeMaxSec=2592000
# Don't restart in the case of configuration error
RestartPreventExitStatus=INVALIDARGUMENT
[Install]
WantedBy=multi-user.target
UNIT
  helper_script "node status" | sudo tee /usr/local/kaiwudb/bin/kw-status.sh >/dev/null
  helper_script sql | sudo tee /usr/local/kaiwudb/bin/kw-sql.sh >/dev/null
  sudo chmod +x /usr/local/kaiwudb/bin/kw-status.sh /usr/local/kaiwudb/bin/kw-sql.sh
  sudo ln -s /usr/local/kaiwudb/bin/kw-status.sh /usr/bin/kw-status
  sudo ln -s /usr/local/kaiwudb/bin/kw-sql.sh /usr/bin/kw-sql
  if [ "$g_secure_mode" != "insecure" ];then
    sudo chmod 700 /etc/kaiwudb/certs/*.key >/dev/null 2>&1
    sudo chmod 644 /etc/kaiwudb/certs/*.crt >/dev/null 2>&1
  fi
}

function compress_certs() {
  [ "$g_secure_mode" = "insecure" ] && return 0
  log_info_without_console "start compress certs to $g_deploy_path/kw-certs.tar.gz"
  local names="ca.key" pattern ret
  for pattern in '*ca*.crt' '*node*.crt' '*node*.key' '*client*.crt' '*client*.key';do
    names="$names $(basename $(ls /etc/kaiwudb/certs/$pattern | head -n 1))"
  done
  [ "$g_encrypto_store" = "true" ] && names="$names sm4.key"
  ret=$(eval $local_cmd_prefix tar -zcvf /etc/kaiwudb/certs/kw-certs.tar.gz -C/etc/kaiwudb/certs $names 2>&1)
  if [ $? -ne 0 ];then
    log_warn "Compress ca failed: $ret. Please manually compress the CA certificate."
    return
  fi
  log_info_without_console "compress certs success"
}

# remote nodes: take certs, info and the env file distributed from the first node
function cp_files() {
  local prefix
  prefix=$(cmd_prefix)
  cd ~/kaiwudb_files
  eval $prefix cp -rf ./certs ./info /etc/kaiwudb
  eval $prefix cp -rf ./script/kaiwudb_env /etc/kaiwudb/script
  if [ "$g_secure_mode" != "insecure" ];then
    sudo chmod 700 /etc/kaiwudb/certs/*.key >/dev/null 2>&1
    sudo chmod 644 /etc/kaiwudb/certs/*.crt >/dev/null 2>&1
  fi
}
