# Source this to build or test with plain `go` commands outside make:
#   . scripts/env.sh && go test ./...
# It points cgo at the TFLite headers and library that scripts/setup.sh put in .deps/, and bakes
# the library's directory into binaries (rpath) so they run with no environment set.
_hs_root=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)
export CGO_ENABLED=1
export CGO_CFLAGS="-O2 -I$_hs_root/.deps/include"
export CGO_LDFLAGS="-L$_hs_root/.deps/lib -Wl,-rpath,$_hs_root/.deps/lib -Wl,-rpath,\$ORIGIN/../.deps/lib"
export HOLOSTREAM_MODELS="${HOLOSTREAM_MODELS:-$_hs_root/.deps/models}"
unset _hs_root
