#!/usr/bin/env bash
# Developer, CI and site machines: makes @tensorflow/tfjs-node work offline, its N-API binding built against TensorFlow's C
# library from the tensorflow-cpu wheel.
#
# tfjs-node's own install script downloads libtensorflow from the internet; where that fails (CI here, hospital networks)
# npm drops the optional package and Tributary trains on wasm. This script needs no internet instead:
#   1. a Python venv (.native/tensorflow unless TRIBUTARY_TF_VENV names another) with tensorflow-cpu==2.21.0 from pip,
#      which takes it from wherever pip is configured to (a mirror, a wheelhouse: PIP_NO_INDEX=1 PIP_FIND_LINKS=DIR).
#      Only the wheel is installed (--no-deps): the binding needs its headers and its two shared libraries, not Python;
#   2. @tensorflow/tfjs-node, at package.json's version, from the npm registry with --ignore-scripts if npm left it out;
#   3. its deps/include and deps/lib pointed at the wheel's headers and libraries (symlinks: keep the venv);
#   4. our patches to its binding's sources applied (scripts/tfjs-node/*.patch: each fixes a fault in tfjs-node itself);
#   5. its binding built from the package's own sources by the node-gyp inside npm, against Node's installed headers;
#   6. the .node copied to where tfjs-node loads it (lib/napi-vN), then loaded once to prove it.
# Idempotent: each step that is already done is skipped. Usage: scripts/build-tfjs-node.sh [--force] (rebuilds the binding).
set -euo pipefail

TF_VERSION=2.21.0
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${TRIBUTARY_TF_VENV:-$ROOT/.native/tensorflow}
PACKAGE=$ROOT/node_modules/@tensorflow/tfjs-node
FORCE=0
case "${1:-}" in
  '') ;;
  --force) FORCE=1 ;;
  *) echo "usage: $0 [--force]" >&2; exit 2 ;;
esac

say() { echo "build-tfjs-node: $*"; }
fail() { echo "build-tfjs-node: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || fail "$1 not found: $2"; }
seconds() { echo "$(( $(date +%s) - $1 )) s"; }

need node 'install Node.js (>= 20.19)'
need npm 'install npm (it ships with Node.js)'
need python3 'install Python 3 (Debian: apt-get install python3 python3-venv)'
need make 'install make (Debian: apt-get install make)'
need patch 'install patch (Debian: apt-get install patch)'
need g++ 'install a C++ compiler (Debian: apt-get install g++)'

# Node's own headers, so that node-gyp downloads none; npm is often configured with their prefix (nodedir).
NODEDIR=$(npm config get nodedir 2>/dev/null || true)
[ -n "$NODEDIR" ] && [ "$NODEDIR" != undefined ] && [ "$NODEDIR" != null ] || NODEDIR=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$NODEDIR/include/node/node_api.h" ] ||
  fail "Node's headers are not in $NODEDIR/include/node (node_api.h): install them (Debian's node: libnode-dev), or set npm's nodedir to their prefix"
# The node-gyp that ships inside npm (npm's bin is a link into npm's own folder).
NODE_GYP=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")/node_modules/node-gyp/bin/node-gyp.js
[ -f "$NODE_GYP" ] || NODE_GYP=$(npm prefix -g)/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js
[ -f "$NODE_GYP" ] || fail "npm's own node-gyp was not found beside npm ($NODE_GYP): reinstall npm"

WANTED=$(node -p "require('$ROOT/package.json').optionalDependencies['@tensorflow/tfjs-node'] ?? ''")
[ -n "$WANTED" ] || fail "$ROOT/package.json names no @tensorflow/tfjs-node in optionalDependencies"

# 1. TensorFlow's C library, from the tensorflow-cpu wheel.
tensorflow_dir() { "$VENV/bin/python" -c 'import importlib.util, os; print(os.path.dirname(importlib.util.find_spec("tensorflow").origin))' 2>/dev/null; }
installed_version() { "$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("tensorflow-cpu"))' 2>/dev/null || true; }
if [ "$(installed_version)" != "$TF_VERSION" ]; then
  started=$(date +%s)
  if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || fail "python3 could not make a venv at $VENV (Debian: apt-get install python3-venv)"
  fi
  say "installing tensorflow-cpu==$TF_VERSION (the wheel only) into $VENV"
  "$VENV/bin/pip" install --quiet --no-deps "tensorflow-cpu==$TF_VERSION" ||
    fail "pip could not install tensorflow-cpu==$TF_VERSION into $VENV (pip said why above);" \
      "offline, give pip the wheel: PIP_NO_INDEX=1 PIP_FIND_LINKS=/folder/with/the/wheel $0"
  say "tensorflow-cpu $TF_VERSION installed in $(seconds "$started")"
fi
TF_DIR=$(tensorflow_dir) || fail "tensorflow-cpu is installed in $VENV but its tensorflow package cannot be found: remove $VENV and run this again"
for file in include/tensorflow/c/c_api.h include/tensorflow/c/eager/c_api.h libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  [ -e "$TF_DIR/$file" ] || fail "$TF_DIR/$file is missing: the tensorflow-cpu wheel should hold it; remove $VENV and run this again"
done

# 2. The package itself: npm ci drops it when its install script cannot download libtensorflow.
package_version() { node -p "require('$PACKAGE/package.json').version" 2>/dev/null || true; }
if [ "$(package_version)" != "$WANTED" ]; then
  say "installing @tensorflow/tfjs-node@$WANTED from the npm registry without its install script"
  (cd "$ROOT" && npm install --no-save --ignore-scripts --no-audit --no-fund --loglevel=error "@tensorflow/tfjs-node@$WANTED") ||
    fail "npm could not install @tensorflow/tfjs-node@$WANTED (npm said why above)"
  [ "$(package_version)" = "$WANTED" ] || fail "npm installed @tensorflow/tfjs-node but $PACKAGE is not version $WANTED"
fi
# Where tfjs-node's loader (node-pre-gyp) looks for the binding on this Node: lib/napi-v<highest N-API version it supports>.
BINDING=$(cd "$ROOT" && node -p "require('@mapbox/node-pre-gyp').find(require.resolve('@tensorflow/tfjs-node/package.json'))") ||
  fail "@mapbox/node-pre-gyp (a dependency of @tensorflow/tfjs-node) did not load: run npm ci, then this again"
NAPI=$(basename "$(dirname "$BINDING")")
NAPI=${NAPI#napi-v}

# 3. deps/: what binding.gyp compiles and links against, and where the binding's runpath ($ORIGIN/../../deps/lib) finds the
# libraries. binding.gyp links -ltensorflow (libtensorflow's own archive has that name); in the wheel the C API is in
# libtensorflow_cc. Left alone when it is right already: a process may be loading the binding from it right now.
declare -A LINKS=(
  [include]="$TF_DIR/include"
  [lib/libtensorflow_cc.so.2]="$TF_DIR/libtensorflow_cc.so.2"
  [lib/libtensorflow_framework.so.2]="$TF_DIR/libtensorflow_framework.so.2"
  [lib/libtensorflow.so]=libtensorflow_cc.so.2
  [lib/libtensorflow_framework.so]=libtensorflow_framework.so.2
)
for link in "${!LINKS[@]}"; do
  [ "$(readlink "$PACKAGE/deps/$link" || true)" = "${LINKS[$link]}" ] && continue
  rm -rf "$PACKAGE/deps"
  mkdir -p "$PACKAGE/deps/lib"
  for name in "${!LINKS[@]}"; do ln -s "${LINKS[$name]}" "$PACKAGE/deps/$name"; done
  break
done

# 4. Our patches to the package's binding sources (scripts/tfjs-node/*.patch, each says why), applied once.
PATCHES=("$ROOT"/scripts/tfjs-node/*.patch)
for patch_file in "${PATCHES[@]}"; do
  patch --dry-run --reverse --force --silent -p1 -d "$PACKAGE" <"$patch_file" >/dev/null && continue # applied already
  patch --forward --silent -p1 -d "$PACKAGE" <"$patch_file" ||
    fail "$patch_file does not apply to @tensorflow/tfjs-node@$WANTED's sources: remove $PACKAGE and run this again"
done
PATCHED=$(cat "${PATCHES[@]}" | sha256sum | cut -c1-12)

# 5 and 6. The binding, unless the one in place was built from this TensorFlow for this package version, N-API version
# and patches.
STAMP="tfjs-node $WANTED, tensorflow-cpu $TF_VERSION at $TF_DIR, napi-v$NAPI, patches $PATCHED"
if [ "$FORCE" = 1 ] || [ ! -f "$BINDING" ] || [ "$(cat "$BINDING.built-from" 2>/dev/null || true)" != "$STAMP" ]; then
  started=$(date +%s)
  say "building tfjs_binding.node (napi-v$NAPI) against $TF_DIR"
  log=$(mktemp)
  if ! (cd "$PACKAGE" && node "$NODE_GYP" rebuild --nodedir="$NODEDIR" --napi_build_version="$NAPI" \
    --module_name=tfjs_binding --module_path="$PACKAGE/build/module") >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    fail "node-gyp could not build the binding in $PACKAGE (the last lines of its output are above; all of it: $log)"
  fi
  rm -f "$log"
  mkdir -p "$(dirname "$BINDING")"
  # A new file renamed into place: a process that has the old one loaded keeps its copy.
  cp "$PACKAGE/build/Release/tfjs_binding.node" "$BINDING.new"
  mv -f "$BINDING.new" "$BINDING"
  rm -rf "$PACKAGE/build"
  echo "$STAMP" >"$BINDING.built-from"
  say "built $BINDING in $(seconds "$started")"
fi

# The proof: tfjs-node loads, starts its backend and computes with TensorFlow.
(cd "$ROOT" && TF_CPP_MIN_LOG_LEVEL=2 node -e "
  const tf = require('@tensorflow/tfjs-node');
  const product = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([5, 6, 7, 8], [2, 2])).dataSync().join(',');
  if (tf.getBackend() !== 'tensorflow' || product !== '19,22,43,50') throw new Error('backend ' + tf.getBackend() + ', product ' + product);
") || fail "@tensorflow/tfjs-node did not load or compute with $BINDING (node said why above): run $0 --force"
say "ready: @tensorflow/tfjs-node $WANTED on TensorFlow $TF_VERSION ($BINDING)"
