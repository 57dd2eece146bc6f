#!/usr/bin/env bash
# Makes sure Debian's chromium is installed, for the gateway's browser tests (gateway/browser_test.go
# drives it headless with chromedp). Idempotent: when chromium is already there it only prints its
# version. Installing needs root (apt-get); otherwise it says what to run and exits 1.
#
#   scripts/browser.sh                          # then: HOLOSTREAM_REQUIRE_BROWSER=1 go test -run Browser ./gateway/
#   HOLOSTREAM_CHROMIUM=/path/to/chrome ...     # use another Chromium build instead
set -euo pipefail

bin=${HOLOSTREAM_CHROMIUM:-/usr/bin/chromium}

if [ ! -x "$bin" ]; then
	if [ -n "${HOLOSTREAM_CHROMIUM:-}" ]; then
		echo "browser.sh: \$HOLOSTREAM_CHROMIUM=$bin is not an executable" >&2
		exit 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "browser.sh: chromium is not installed and installing it needs root; run:" >&2
		echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2
		exit 1
	fi
	echo "browser.sh: installing Debian's chromium (a minute or two)..." >&2
	start=$(date +%s)
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends chromium >/dev/null
	echo "browser.sh: installed in $(($(date +%s) - start)) s" >&2
fi

# chromium --version needs no display; it prints e.g. "Chromium 156.0.8078.79 built on Debian ...".
# Debian's launcher script also prints a harmless shell warning from /etc/chromium.d/dev-shm on
# stderr: keep stderr only when the version cannot be read.
if ! version=$("$bin" --version 2>/dev/null); then
	"$bin" --version
	exit 1
fi
echo "$version"
