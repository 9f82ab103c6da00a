#!/usr/bin/env bash
# start / stop / restart through systemd; start and restart wait until `kwbase node status` answers.

# wait_until PROBE TRIES: PROBE every 2 s, at most TRIES+1 times
function wait_until() {
  local count=0
  until [ $count -gt $2 ];do
    $1 >/dev/null 2>&1 && return 0
    ((count++))
    sleep 2
  done
  return 1
}

function kw_start() {
  local prefix
  prefix=$(cmd_prefix)
  eval $prefix systemctl daemon-reload
  if ! eval $prefix systemctl start kaiwudb >/dev/null 2>&1;then
    echo "Start KaiwuDB failed. For more information, check system log(journactl -u kaiwudb)."
    return 1
  fi
  sleep 3
  wait_until whether_running 300 && return 0
  echo "Start KaiwuDB failed. For more information, check kwbase's log."
  return 1
}

function kw_stop() {
  local prefix
  prefix=$(cmd_prefix)
  eval $prefix systemctl daemon-reload
  eval $prefix systemctl stop kaiwudb >/dev/null 2>&1
}

function kw_restart() {
  local prefix
  prefix=$(cmd_prefix)
  eval $prefix systemctl daemon-reload
  eval $prefix systemctl restart kaiwudb >/dev/null 2>&1 || return 1
  wait_until whether_running 300
}

# cluster init: start without waiting for SQL (the node waits for `kwbase init`)
function exec_start() {
  local prefix
  prefix=$(cmd_prefix)
  eval $prefix systemctl daemon-reload
  if ! eval $prefix systemctl start kaiwudb >/dev/null 2>&1;then
    echo "Start KaiwuDB failed. For more information, check system log(journactl -u kaiwudb)."
    return 1
  fi
  sleep 3
  wait_until kw_status 60 && return 0
  echo "Start KaiwuDB failed. For more information, check kwbase's log."
  return 1
}
