#!/usr/bin/env bash
# Build the distsql.upgrade docs site strictly (nitpicky, warnings are errors) and offline:
#   docs/site/build.sh COLLECTIONS_PATH DEST
# COLLECTIONS_PATH holds ansible_collections/distsql/upgrade: the installed tarball, not the source tree.
# DEST (recreated) gets rst/ (antsibull-docs' output), ansible_devel.inv (the stub intersphinx inventory),
# doctrees/ and html/ (the site, html/index.html). antsibull-docs, sphinx-build and python come from PATH.
# From `antsibull-docs sphinx-init --use-current --squash-hierarchy`'s build.sh, with the paths as arguments.
set -euo pipefail

site_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
collections=$1
dest=$2

rm -rf "$dest"
mkdir -p "$dest"
mkdir -m 700 "$dest/rst"  # antsibull-docs writes only into a directory nobody else can write to

ANSIBLE_COLLECTIONS_PATH=$collections antsibull-docs \
    --config-file "$site_dir/antsibull-docs.cfg" \
    collection \
    --fail-on-error \
    --use-current \
    --squash-hierarchy \
    --dest-dir "$dest/rst" \
    distsql.upgrade

"${PYTHON:-python}" "$site_dir/stub_inventory.py" "$dest/ansible_devel.inv"

sphinx-build -q -b html -c "$site_dir" -d "$dest/doctrees" -W --keep-going "$dest/rst" "$dest/html"
