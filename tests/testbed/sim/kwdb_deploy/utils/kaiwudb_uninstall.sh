#!/usr/bin/env bash
# uninstall: packages, service files and user; data and /etc/kaiwudb only when asked to.

function uninstall() {
  if [ "$(install_type)" = "bare" ];then
    if dpkg --help >/dev/null 2>&1;then
      g_package_tool=dpkg
    else
      g_package_tool=rpm
    fi
    remove_packages
    sudo rm -rf /usr/local/kaiwudb >/dev/null 2>&1
  fi
}

function uninstall_dir() {
  local prefix data_root ret
  prefix=$(cmd_prefix)
  data_root=$(kw_data_dir)
  eval $prefix rm -rf /etc/systemd/system/kaiwudb.service /usr/bin/kw-status /usr/bin/kw-sql
  if [ -n "$data_root" ] && [[ "$clear_opt" =~ ^(y|yes)$ ]];then
    ret=$(eval $prefix rm -rf $data_root /etc/kaiwudb 2>&1)
    if [ $? -ne 0 ];then
      echo $ret
      return 1
    fi
  fi
}

function delete_user() {
  [ "$(install_type)" = "bare" ] || return 0
  local user
  user=$(user_name)
  eval $(cmd_prefix) userdel -r $user >/dev/null 2>&1
  sudo sed -i "/^$user ALL=(ALL)  NOPASSWD: ALL$/d" /etc/sudoers
}
