# Paths shared by the maintainer scripts of kaiwudb-server and kaiwudb-libcommon.
bin_link_dir="/usr/bin"
lib_link_dir="/usr/lib"
install_main_dir="/usr/local/kaiwudb"
bin_dir="${install_main_dir}/bin"
lib_dir="${install_main_dir}/lib"
csudo=""
if command -v sudo > /dev/null; then
    csudo="sudo "
fi
