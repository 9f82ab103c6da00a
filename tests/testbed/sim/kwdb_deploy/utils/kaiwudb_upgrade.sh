#!/usr/bin/env bash
# upgrade: version rules, package swap, the UPGRADING mark and the restart with --upgrade-complete.

# version_le A B: A sorts first (or equal) in version order
function version_le() {
  [ "$(printf '%s\n' "$@" | sort -V | head -n 1)" = "$1" ]
}

# ext_parts TAG: "<prefix+number> <trailing letters+digit>" of an extended tag, e.g. hotfix1beta2 -> hotfix1 beta2
function ext_parts() {
  echo $(echo "$1" | grep -oP '^[a-z]+([0-9]*)') $(echo "$1" | grep -oP '[a-z]+([0-9]?$)')
}

function letters() {
  echo "$1" | grep -oP '^[a-z]+'
}

function conditions_not_met() {
  echo "UPGRADE ERROR:The upgrade conditions are not met.($1 --> $2)"
  return 1
}

function bypass_warning() {
  echo "WARNING:This version upgrade is not supported, and if you continue to upgrade, you can use the --bypass-version-check option to re-execute the upgrade command to skip the version comparison check."
  return 1
}

# ext_rules OLD_HEAD OLD_TAIL NEW_HEAD NEW_TAIL (words of ext_parts; empty tags shift the words left)
function ext_rules() {
  local old_head=$1 old_tail=$2 new_head=$3 new_tail=$4
  local old_line new_line old_stage new_stage
  old_line=$(letters "$old_head")
  new_line=$(letters "$new_head")
  old_stage=$(echo "$old_tail" | grep -oP '[a-z]+(?=[0-9]*$)')
  new_stage=$(echo "$new_tail" | grep -oP '[a-z]+(?=[0-9]*$)')
  if [ "$old_line" != "$new_line" ];then
    return 0
  fi
  if ! version_le "$new_head" "$old_head";then
    case "$old_line" in
      *hotfix*|*enhance*) bypass_warning; return 1 ;;
    esac
    return 0
  fi
  if [ "$new_head" != "$old_head" ];then
    bypass_warning
    return 1
  fi
  # same line and number: only a later pre-release stage of it may follow
  if [ "$old_line" != "$old_stage" ] && [ "$new_line" != "$new_stage" ];then
    if [[ "$old_stage" =~ ^beta && "$new_stage" =~ ^alpha ]] || \
       { [ "$old_stage" = "$new_stage" ] && version_le "$new_tail" "$old_tail"; };then
      conditions_not_met "$old_head$old_tail" "$new_head$new_tail"
      return 1
    fi
  elif [ "$old_line" = "$old_stage" ];then
    conditions_not_met "$old_head" "$new_head"
    return 1
  fi
  return 0
}

# version_compare: installed /etc/kaiwudb/info/.version against packages/.version (line 1 basic, line 2 extended)
function version_compare() {
  local new_file
  new_file=$(packages_dir)/.version
  [ -f /etc/kaiwudb/info/.version ] || return 0
  local old_basic old_ext new_basic new_ext
  old_basic=$(sed -n 1p /etc/kaiwudb/info/.version)
  old_ext=$(sed -n 2p /etc/kaiwudb/info/.version)
  new_basic=$(sed -n 1p $new_file)
  new_ext=$(sed -n 2p $new_file)
  if [ "$new_basic" != "$old_basic" ];then
    if version_le "$new_basic" "$old_basic";then
      echo "UPGRADE ERROR:The requested upgrade version is older than the current installed version.(current:$old_basic new_version:$new_basic)"
      return 1
    fi
    return 0
  fi
  if [ -z "$old_ext" ] && [[ "$new_ext" =~ ^(alpha|beta) ]];then
    echo "UPGRADE ERROR:Official version can not upgrade to $new_ext."
    return 1
  fi
  if [[ "$old_ext" =~ ^beta && "$new_ext" =~ ^alpha ]] || \
     [[ "$old_ext" =~ ^(hotfix|enhance|patch) && "$new_ext" =~ ^(alpha|beta) ]];then
    conditions_not_met "$old_ext" "$new_ext"
    return 1
  fi
  local old_line new_line
  old_line=$(letters "$old_ext")
  new_line=$(letters "$new_ext")
  if [[ "$old_line" =~ ^(hotfix|enhance|patch)$ && "$new_line" =~ ^(hotfix|enhance|patch)$ && "$old_line" != "$new_line" ]];then
    bypass_warning
    return 1
  fi
  ext_rules $(ext_parts "$old_ext") $(ext_parts "$new_ext")
}

# upgrade: remove the installed packages, install the new ones, fix names of old layouts, record the version.
# Nothing is backed up; data dir, certs and /etc/kaiwudb stay where they are.
function upgrade() {
  local prefix dir ret user
  prefix=$(cmd_prefix)
  dir=$(packages_dir)
  cd $dir
  if [ "$(install_type)" != "bare" ];then
    echo "Container deployment is not simulated by the testbed."
    return 1
  fi
  remove_packages
  install_packages || return 1
  user=$(user_name)
  sudo chown -R $user:$user /usr/local/kaiwudb >/dev/null 2>&1
  local env_file=/etc/kaiwudb/script/kaiwudb_env
  if [ ! -f $env_file ];then
    if [ -f /etc/kaiwudb/script/kw_env ];then
      sudo mv /etc/kaiwudb/script/kw_env $env_file
    else
      echo 'KAIWUDB_START_ARG=""' | sudo tee $env_file >/dev/null
      sudo chown $user:$user $env_file
      sudo sed -iq 's/^ExecStart=.*/& \$KAIWUDB_START_ARG/' /etc/systemd/system/kaiwudb.service >/dev/null 2>&1
      if ! grep -q '^EnvironmentFile' /etc/systemd/system/kaiwudb.service 2>/dev/null;then
        sudo sed -i '/^Environment.*/i\EnvironmentFile=\/etc\/kaiwudb\/script\/kaiwudb_env' /etc/systemd/system/kaiwudb.service >/dev/null 2>&1
      fi
    fi
  fi
  sudo sed -iq "s/\/etc\/kwdb/\/etc\/kaiwudb/g" /etc/systemd/system/kaiwudb.service
  sudo sed -iq "s/\/usr\/local\/kwdb/\/usr\/local\/kaiwudb/g" /etc/systemd/system/kaiwudb.service
  sudo sed -i "s/KW_START_ARG/KAIWUDB_START_ARG/" $env_file
  sudo sed -i "s/kw_env/kaiwudb_env/" /etc/systemd/system/kaiwudb.service
  sudo sed -i "s/KW_START_ARG/KAIWUDB_START_ARG/" /etc/systemd/system/kaiwudb.service
  sudo cp -f $dir/.version /etc/kaiwudb/info
  return 0
}

# mark this node UPGRADING (`kwbase node upgrade <id>`)
function change_kwdb_status() {
  local node_id ret
  node_id=$(cluster_nodeid)
  if [ $? -ne 0 ];then
    echo "Get node id failed: $node_id."
    return 1
  fi
  ret=$(kwbase_cli node upgrade $node_id 2>&1)
  if [ $? -ne 0 ];then
    echo "$ret"
    return 1
  fi
  return 0
}

# restart with --upgrade-complete in KAIWUDB_START_ARG, then take the flag out again
function recover_node() {
  local env_file=/etc/kaiwudb/script/kaiwudb_env
  eval $(cmd_prefix) -s "exit" >/dev/null 2>&1
  sudo sed -i 's/KAIWUDB_START_ARG="/&--upgrade-complete /' $env_file
  if ! kw_restart;then
    echo "Restart KaiwuDB failed. For more information, use 'journalctl -u kaiwudb' to view the system logs."
    return 1
  fi
  sudo sed -iq 's/--upgrade-complete//g' $env_file
  local secure
  secure=$(mode_line 8)
  case "$secure" in
    tls|tlcp|insecure) ;;
    *) sudo sed -i "8 i $(secure_mode)" /etc/kaiwudb/info/MODE ;;
  esac
}

# addr_array: the other nodes with an address (from `kwbase node status`), ssh_port/ssh_user from NODE
function get_cluster_nodes() {
  local ret
  ret=$(kwbase_cli node status 2>&1)
  if [ $? -ne 0 ];then
    log_err "Node status failed: $ret"
    exit 1
  fi
  # the vendor's filter assigns ($11=$12) instead of comparing: every node with an address is kept
  addr_array=($(echo "$ret" | awk -v ip=$(local_addr) 'NR!=1{split($3,arr,":");if(arr[1]!=ip && arr[1]!="NULL" && $11=$12){print arr[1]}}'))
  ssh_port=$(sed -n 2p /etc/kaiwudb/info/NODE)
  ssh_user=$(sed -n 3p /etc/kaiwudb/info/NODE)
}
