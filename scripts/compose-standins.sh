#!/usr/bin/env bash
# Sourced by scripts/test-compose.sh: stand-ins for the official images docker-compose.prod.yml runs
# (postgres, redis, caddy), built from Debian packages under the official names and tags, for machines
# where those images cannot be pulled. An image that is present or can be pulled is used as it is.
# Needs: engine (a function running podman or docker), ROOT, WORK, say, ok, fail, cannot_run.

STANDIN_SUITE=trixie # the Debian release that packages PostgreSQL 17
STANDIN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

# A Debian root filesystem, cached in .tools/images/ (as scripts/test-images.sh caches bookworm).
standin_rootfs() {
  local cache="$ROOT/.tools/images" tarball dir
  tarball="$cache/debian-$STANDIN_SUITE-minbase.tar"
  if [ ! -f "$tarball" ]; then
    command -v debootstrap >/dev/null 2>&1 || cannot_run "debootstrap is not installed (apt-get install debootstrap)"
    mkdir -p "$cache"
    dir=$(mktemp -d "$cache/rootfs.XXXXXX")
    echo "debootstrap --variant=minbase $STANDIN_SUITE $STANDIN_MIRROR" >&2
    debootstrap --variant=minbase "$STANDIN_SUITE" "$dir" "$STANDIN_MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
      tail -n 20 "$WORK/debootstrap.log" >&2
      rm -rf "$dir"
      fail "debootstrap could not build the Debian $STANDIN_SUITE root filesystem"
    }
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* \
      "$dir"/usr/share/man/* "$dir"/usr/share/locale/* "$dir"/dev/*
    tar --numeric-owner -C "$dir" -cf "$tarball.partial" .
    mv "$tarball.partial" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

# standin_image OFFICIAL_TAG NAME: OFFICIAL_TAG present, pulled, or built from test/compose/standins/NAME.*
standin_image() {
  local official=$1 name=$2 base rootfs
  if engine image inspect "$official" >/dev/null 2>&1; then
    ok "$official (present)"
    return
  fi
  if timeout 60 "${ENGINE_COMMAND[@]}" pull -q "$official" >/dev/null 2>&1; then
    ok "$official (pulled)"
    return
  fi
  rootfs=$(standin_rootfs)
  base="localhost/ai-agents-debian-standin:$STANDIN_SUITE-$(sha256sum "$rootfs" | cut -c1-12)"
  if ! engine image inspect "$base" >/dev/null 2>&1; then
    engine import --change 'CMD ["bash"]' "$rootfs" "$base" >/dev/null || fail "could not import $rootfs"
  fi
  engine build --format docker --build-arg "BASE=$base" -f "$ROOT/test/compose/standins/$name.Containerfile" \
    -t "$official" "$ROOT/test/compose/standins" >"$WORK/standin-$name.log" 2>&1 || {
    tail -n 30 "$WORK/standin-$name.log" >&2
    fail "could not build the stand-in for $official"
  }
  ok "$official (stand-in: Debian $STANDIN_SUITE packages)"
}

# The images docker-compose.prod.yml names besides ours.
standin_images() {
  local file="$ROOT/docker-compose.prod.yml"
  standin_image "$(sed -n 's/^    image: \(postgres:.*\)$/\1/p' "$file")" postgres
  standin_image "$(sed -n 's/^    image: \(redis:.*\)$/\1/p' "$file")" redis
  standin_image "$(sed -n 's/^    image: \(caddy:.*\)$/\1/p' "$file")" caddy
}
