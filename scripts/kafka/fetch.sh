#!/usr/bin/env bash
# fetch.sh: put a runnable Apache Kafka broker and Apicurio Registry into $HOLOSTREAM_DEPS/kafka.
#
#   scripts/kafka/fetch.sh              fetch what is missing (a second run does nothing)
#   scripts/kafka/fetch.sh --force      fetch again even if the stamp says it is all there
#   scripts/kafka/fetch.sh --update-lock  rewrite deps.sha256 from what Maven fetched
#                                       (after a version bump; review the diff before commit)
#
# Everything comes from Maven Central through Maven itself (java 17 + mvn are the only tools it
# needs besides coreutils and tar): the broker jars by `dependency:copy-dependencies` on pom.xml,
# Apicurio's tarball by `dependency:copy`. Maven checks each download against Central's .sha1
# (--strict-checksums), and every file is then checked against the sha256 pinned in deps.sha256.
# Maven's local repository is ~/.m2 by default (shared, and what CI caches usually keep);
# HOLOSTREAM_M2=cache puts it under the cache dir instead, HOLOSTREAM_M2=/some/dir anywhere.
set -euo pipefail
prog=fetch
. "$(dirname "$0")/lib.sh"

force=0 update_lock=0
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	--update-lock) update_lock=1 force=1 ;;
	-h | --help) sed -n '2,16p' "$0"; exit 0 ;;
	*) die "unknown argument $a (see --help)" ;;
	esac
done

lock=$here/deps.sha256
stamp() { # what the stamp file says once pom.xml and deps.sha256 as they are now were fetched
	local l=none
	[ ! -f "$lock" ] || l=$(sha256sum "$lock" | cut -c1-16)
	echo "kafka=$KAFKA_VERSION log4j=$LOG4J_VERSION apicurio=$APICURIO_VERSION pom=$(sha256sum "$here/pom.xml" | cut -c1-16) lock=$l"
}
want=$(stamp)
if [ $force = 0 ] && [ -f "$deps/stamp" ] && [ "$(cat "$deps/stamp")" = "$want" ]; then
	log "up to date in $deps ($want)"
	exit 0
fi

command -v mvn >/dev/null || die "mvn not found (apt-get install maven)"
"$java" -version 2>&1 | grep -q 'version "\(1[7-9]\|2[0-9]\)' || die "$java is not Java 17 or newer"
start=$SECONDS
mvn_args=(-q -B --strict-checksums -f "$here/pom.xml"
	-Dkafka.version="$KAFKA_VERSION" -Dlog4j.version="$LOG4J_VERSION" -Dholostream.deps="$deps")
case ${HOLOSTREAM_M2:-} in
'') ;;
cache) mvn_args+=(-Dmaven.repo.local="$deps/m2") ;;
*) mvn_args+=(-Dmaven.repo.local="$HOLOSTREAM_M2") ;;
esac

# mvn_q runs Maven quietly; Maven 3.8 with -q still prints bare ANSI resets, drop them.
mvn_q() {
	local out st=0
	out=$(mvn "${mvn_args[@]}" "$@" 2>&1) || st=$?
	printf '%s\n' "$out" | sed 's/\x1b\[[0-9;]*m//g' | grep -v '^$' >&2 || true
	return $st
}

mkdir -p "$deps"
tmp=$(mktemp -d "$deps/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

log "Kafka $KAFKA_VERSION (kafka_2.13 + kafka-tools + log4j-slf4j-impl $LOG4J_VERSION) from Maven Central"
mvn_q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp/lib" ||
	die "mvn dependency:copy-dependencies failed"
tarball=apicurio-registry-app-$APICURIO_VERSION-all.tar.gz
log "Apicurio Registry $APICURIO_VERSION ($tarball, ~160 MB) from Maven Central"
mvn_q dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
	-DoutputDirectory="$tmp" || die "mvn dependency:copy of Apicurio failed"

if [ $update_lock = 1 ]; then
	(cd "$tmp" && sha256sum "$tarball" lib/*.jar) >"$lock"
	log "wrote $lock ($(wc -l <"$lock") files): review and commit it"
else
	[ -f "$lock" ] || die "$lock missing: run with --update-lock once and commit it"
	(cd "$tmp" && sha256sum --quiet --strict -c "$lock") || die "sha256 mismatch against $lock (see above)"
	extra=$(cd "$tmp" && ls lib | grep -vxFf <(sed -n 's|.*  lib/||p' "$lock") || true)
	[ -z "$extra" ] || die "jars not in $lock: $extra (run with --update-lock if this was intended)"
fi

# The tarball is the content of a Quarkus fast-jar dir (quarkus-run.jar, app/, lib/, quarkus/) with
# no top-level dir; find quarkus-run.jar anyway, in case a later release wraps it in one.
mkdir -p "$tmp/unpack" "$tmp/apicurio"
tar -xzf "$tmp/$tarball" -C "$tmp/unpack"
run_jar=$(cd "$tmp/unpack" && find . -name quarkus-run.jar | head -1)
[ -n "$run_jar" ] || die "no quarkus-run.jar in $tarball"
mv "$(cd "$tmp/unpack/$(dirname "$run_jar")" && pwd)" "$tmp/apicurio/quarkus-app"

rm -rf "$lib" "$apicurio"
mv "$tmp/lib" "$lib"
mv "$tmp/apicurio" "$apicurio"
stamp >"$deps/stamp"
log "done in $((SECONDS - start))s: $(du -sh "$lib" | cut -f1) in $lib, $(du -sh "$apicurio" | cut -f1) in $apicurio"
