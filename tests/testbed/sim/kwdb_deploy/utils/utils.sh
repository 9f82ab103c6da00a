#!/usr/bin/env bash
# deploy.cfg access: INI sections [global] [local] [cluster] [additional], "key=value" lines.

# read_config_value FILE SECTION KEY: the value of the first KEY= line of SECTION
function read_config_value() {
  if [ ! -e "$1" ];then
    echo "$1 not exist!"
    return 1
  fi
  awk -v section="[$2]" -v key="$3" '
    $0 == section { inside = 1; next }
    /^\[.*\]$/ { inside = 0 }
    inside && index($0, key "=") == 1 { print substr($0, length(key) + 2); exit }
  ' "$1"
  return 0
}

# update_config_value FILE SECTION KEY VALUE
function update_config_value() {
  if [ ! -e "$1" ];then
    echo "$1 not exist!"
    return 1
  fi
  local tmp
  tmp=$(mktemp)
  awk -v section="[$2]" -v key="$3" -v value="$4" '
    $0 == section { inside = 1; print; next }
    /^\[.*\]$/ { inside = 0 }
    inside && !done && index($0, key "=") == 1 { print key "=" value; done = 1; next }
    { print }
  ' "$1" > "$tmp" && cat "$tmp" > "$1"
  rm -f "$tmp"
  return 0
}
