#!/usr/bin/env bash
# cluster init / status and the local node id.

function cluster_init() {
  local ret
  ret=$(kwbase_cli init 2>&1)
  if [ $? -ne 0 ];then
    echo "$ret"
    return 1
  fi
}

# ip_arr, ssh_port, ssh_user from /etc/kaiwudb/info/NODE
function parse_addr() {
  if [ ! -e /etc/kaiwudb/info/NODE ];then
    log_err "/etc/kaiwudb/info/NODE: No such file."
    exit 1
  fi
  ip_arr=($(sed -n 1p /etc/kaiwudb/info/NODE))
  ssh_port=$(sed -n 2p /etc/kaiwudb/info/NODE)
  ssh_user=$(sed -n 3p /etc/kaiwudb/info/NODE)
}

function cluster_status() {
  kwbase_cli node status
}

# the id of the node whose sql_address host is this node's address (whitespace-split node status)
function cluster_nodeid() {
  local ret
  ret=$(kwbase_cli node status 2>&1)
  if [ $? -ne 0 ];then
    echo "$ret"
    return 1
  fi
  echo "$ret" | awk -v ip=$(local_addr) 'NR!=1{split($3,arr,":");if(arr[1]==ip){print $1}}'
}
