#!/usr/bin/env bash
# install warns (and continues) below 5 CPU cores or 6 GiB of memory

function cpu_info() {
  [ $(grep processor /proc/cpuinfo | sort -u | wc -l) -gt 4 ]
}

function mem_info() {
  [ $(($(grep MemTotal /proc/meminfo | grep -Eo '[0-9]+') / 1024 / 1024)) -ge 6 ]
}
