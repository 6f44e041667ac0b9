# Sourced by scripts/test-images.sh and scripts/test-containers.sh: Podman with a store and
# configuration of the repository's own, in .tools/containers/. Nothing they build or start mixes with
# other Podman users of the machine, and everything in it may be removed. The default runtime crun
# fails on this kind of machine's cgroups, so runc; containers cannot raise their open-files limit
# here, so no default ulimits; cgroupfs, as there is no systemd.
#
# use_podman_store ROOT: exports CONTAINERS_CONF and sets PODMAN_HOME and ENGINE_COMMAND (an array).
use_podman_store() {
  PODMAN_HOME="$1/.tools/containers"
  mkdir -p "$PODMAN_HOME/storage" "$PODMAN_HOME/run" "$PODMAN_HOME/tmp"
  cat >"$PODMAN_HOME/containers.conf" <<EOF
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
tmp_dir = "$PODMAN_HOME/tmp"
EOF
  export CONTAINERS_CONF="$PODMAN_HOME/containers.conf"
  ENGINE_COMMAND=(podman --root "$PODMAN_HOME/storage" --runroot "$PODMAN_HOME/run" --runtime runc)
}
