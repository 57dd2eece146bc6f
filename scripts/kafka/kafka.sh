#!/usr/bin/env bash
# kafka.sh: run a real Apache Kafka cluster (KRaft, combined broker+controller nodes) on 127.0.0.1.
#
#   scripts/kafka/kafka.sh start  [--nodes 1|3] [--port P] [--dir DIR] [--timeout S]
#                                 [--sasl-ssl] [--scram CREDENTIAL]... [--acl] [--config FILE]
#   scripts/kafka/kafka.sh stop   [--dir DIR]
#   scripts/kafka/kafka.sh status [--dir DIR]          exit 0 iff every node is up
#   scripts/kafka/kafka.sh kill-node N  [--dir DIR]    SIGKILL node N (failover tests)
#   scripts/kafka/kafka.sh start-node N [--dir DIR]    bring node N back with its data
#   scripts/kafka/kafka.sh tool [--dir DIR] topics|produce|consume|quorum|acls|CLASS [ARGS...]
#                                                      a Kafka CLI tool; the first five get
#                                                      --bootstrap-server from DIR/bootstrap
#
# start makes a fresh cluster (a new cluster id, empty data) and returns once every broker shows in
# the cluster metadata (BrokerApiVersionsCommand), or fails after --timeout seconds (default 90).
# Node i listens for clients on P+i-1 and for the controller quorum on P+100+i-1; without --port
# the ports are free ones the kernel picks. DIR (default $HOLOSTREAM_KAFKA_DIR or <repo>/out/kafka):
#   bootstrap                   127.0.0.1:P1,127.0.0.1:P2,... (also printed on stdout by start)
#   nodeN/server.properties     nodeN/data/ (log.dirs)  nodeN/pid
#   logs/nodeN/server.log ...   log4j2 files; logs/nodeN.out has the JVM's stdout and stderr
#   bootstrap_sasl_ssl          with --sasl-ssl: the SASL_SSL listeners, 127.0.0.1:S1,...
# --sasl-ssl gives each node a second client listener, SASL_SSL (SCRAM-SHA-512 and -256) on
# P+200+i-1 or a free port; the PLAINTEXT one stays (inter-broker traffic, readiness checks, tool).
# Its key and certificates come from --config FILE, whose lines are appended to every node's
# server.properties (later keys win), e.g. ssl.keystore.type=PEM, ssl.keystore.location=... .
# --scram 'SCRAM-SHA-512=[name=alice,password=secret]' (repeatable) adds a SCRAM user when the
# storage is formatted (StorageTool format --add-scram).
# --acl turns the authorizer on (StandardAuthorizer, allow.everyone.if.no.acl.found=false): the
# SASL_SSL users can do only what ACLs grant them. The PLAINTEXT listener's clients (the brokers
# themselves, the controller, tool and the readiness check) are User:ANONYMOUS, made a super user:
# on these 127.0.0.1 test clusters it is the admin's door (`tool acls --add ...` grants through it).
# Needs scripts/kafka/fetch.sh first. Java heap per node: $KAFKA_HEAP (default -Xms256m -Xmx512m).
set -euo pipefail
prog=kafka
. "$(dirname "$0")/lib.sh"

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
start | stop | status | kill-node | start-node | tool) ;;
-h | --help | help) usage; exit 0 ;;
*) usage >&2; exit 2 ;;
esac
node_arg=
if [ "$cmd" = kill-node ] || [ "$cmd" = start-node ]; then
	node_arg=${1:-}
	[[ $node_arg =~ ^[1-9]$ ]] || die "$cmd needs a node number"
	shift
fi
if [ "$cmd" = tool ]; then # options go before the tool's name: tool --dir D topics --list
	pre=()
	while [ $# -gt 1 ] && [ "$1" = --dir ]; do pre+=("$1" "$2"); shift 2; done
	tool_args=("$@")
	set -- ${pre[@]+"${pre[@]}"}
fi
nodes=1 base_port='' dir=$run_dir timeout=90 sasl_ssl='' config='' scram=() acl=''
while [ $# -gt 0 ]; do
	case $1 in
	--nodes) nodes=${2:?}; shift 2 ;;
	--port) base_port=${2:?}; shift 2 ;;
	--dir) dir=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--sasl-ssl) sasl_ssl=1; shift ;;
	--scram) scram+=(--add-scram "${2:?}"); shift 2 ;;
	--acl) acl=1; shift ;;
	--config) config=${2:?}; shift 2 ;;
	*) die "unknown argument $1 (see --help)" ;;
	esac
done
case $nodes in 1 | 3) ;; *) die "--nodes must be 1 or 3" ;; esac
if [ -n "$config" ]; then
	[ -r "$config" ] || die "--config $config: not a readable file"
	config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
fi
if [ -n "$sasl_ssl" ]; then
	[ -n "$config" ] && grep -Eq '^[[:space:]]*(listener\.name\.sasl_ssl\.)?ssl\.keystore\.' "$config" ||
		die "--sasl-ssl needs --config FILE with the listener's key and certificate (ssl.keystore.*)"
fi
# Without SASL_SSL every client is ANONYMOUS, the super user: the authorizer would check nothing.
[ -z "$acl" ] || [ -n "$sasl_ssl" ] || die "--acl needs --sasl-ssl: its users are the principals the ACLs name"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
heap=${KAFKA_HEAP:--Xms256m -Xmx512m}

jvm() { # MAIN-CLASS ARGS... (in the foreground, for tools)
	"$java" -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$dir/tools-log4j2.properties" \
		-cp "$lib/*" "$@"
}

node_list() { # the node numbers of the cluster in DIR
	local f
	for f in "$dir"/node*/server.properties; do
		[ -f "$f" ] || continue
		f=${f%/server.properties}
		echo "${f##*/node}"
	done
}

prop() { # FILE KEY: the last value, as java.util.Properties reads it
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

listener_port() { # N NAME: node N's port for listener NAME; empty if it has none
	prop "$dir/node$1/server.properties" listeners | tr ',' '\n' | sed -n "s|^$2://127.0.0.1:||p"
}

write_log4j() {
	# Brokers: everything at INFO into files under logs/nodeN (kafka.logs.dir), rolled at 50 MB;
	# state-change and request logs apart, as in Kafka's own config/log4j2.yaml. Nothing on stdout.
	cat >"$dir/log4j2.properties" <<'L4J'
status = warn
appender.server.type = RollingFile
appender.server.name = server
appender.server.fileName = ${sys:kafka.logs.dir}/server.log
appender.server.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.server.layout.type = PatternLayout
appender.server.layout.pattern = [%d] %p %m (%c)%n
appender.server.policies.type = Policies
appender.server.policies.size.type = SizeBasedTriggeringPolicy
appender.server.policies.size.size = 50MB
appender.server.strategy.type = DefaultRolloverStrategy
appender.server.strategy.max = 3
appender.state.type = File
appender.state.name = state
appender.state.fileName = ${sys:kafka.logs.dir}/state-change.log
appender.state.layout.type = PatternLayout
appender.state.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.server.ref = server
logger.state.name = state.change.logger
logger.state.level = INFO
logger.state.additivity = false
logger.state.appenderRef.state.ref = state
logger.request.name = kafka.request.logger
logger.request.level = WARN
L4J
	# CLI tools: warnings only, on stderr.
	cat >"$dir/tools-log4j2.properties" <<'L4J'
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.err.ref = err
L4J
}

write_props() { # N CLIENT-PORT CONTROLLER-PORT VOTERS [SASL-SSL-PORT]
	local n=$1 r=$nodes isr=$(( nodes > 1 ? 2 : 1 )) extra='' map=''
	if [ -n "${5:-}" ]; then
		extra=",SASL_SSL://127.0.0.1:$5" map=",SASL_SSL:SASL_SSL"
	fi
	mkdir -p "$dir/node$n/data"
	cat >"$dir/node$n/server.properties" <<PROPS
# Written by scripts/kafka/kafka.sh: KRaft combined mode, node $n of $nodes, 127.0.0.1 only.
process.roles=broker,controller
node.id=$n
listeners=PLAINTEXT://127.0.0.1:$2$extra,CONTROLLER://127.0.0.1:$3
advertised.listeners=PLAINTEXT://127.0.0.1:$2$extra
listener.security.protocol.map=PLAINTEXT:PLAINTEXT$map,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
controller.quorum.voters=$4
log.dirs=$dir/node$n/data
num.partitions=1
default.replication.factor=$r
offsets.topic.replication.factor=$r
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=$r
transaction.state.log.min.isr=$isr
share.coordinator.state.topic.replication.factor=$r
share.coordinator.state.topic.min.isr=$isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
log.retention.hours=24
log.segment.bytes=67108864
PROPS
	if [ -n "${5:-}" ]; then
		# SCRAM on the SASL_SSL listener; users come from format --add-scram. The broker needs a
		# JAAS entry per mechanism even though it never logs in itself (inter-broker is PLAINTEXT).
		cat >>"$dir/node$n/server.properties" <<PROPS
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
	fi
	if [ -n "$acl" ]; then
		# KRaft's authorizer; denied unless an ACL allows. ANONYMOUS (every PLAINTEXT and
		# CONTROLLER client: the nodes themselves, tool, the readiness check) is a super user.
		cat >>"$dir/node$n/server.properties" <<PROPS
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS
PROPS
	fi
	if [ -n "$config" ]; then
		echo "# From --config $config:" >>"$dir/node$n/server.properties"
		cat "$config" >>"$dir/node$n/server.properties"
		echo >>"$dir/node$n/server.properties"
	fi
}

launch() { # N: start node N in the background, detached from this shell
	local n=$1
	mkdir -p "$dir/logs/node$n"
	# shellcheck disable=SC2086 # $heap is a list of JVM flags
	setsid nohup "$java" $heap -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
		-Dkafka.logs.dir="$dir/logs/node$n" -Dlog4j2.configurationFile="$dir/log4j2.properties" \
		-cp "$lib/*" kafka.Kafka "$dir/node$n/server.properties" \
		>"$dir/logs/node$n.out" 2>&1 </dev/null &
	echo $! >"$dir/node$n/pid"
}

# wait_ready waits until each node in NODES has its client port open and the cluster metadata, as
# a client sees it, lists every one of them as a broker. Fails if a node's JVM dies meanwhile.
wait_ready() { # NODES...
	local deadline=$((SECONDS + timeout)) n seen bootstrap port
	bootstrap=$(cat "$dir/bootstrap")
	for n in "$@"; do
		for port in $(listener_port "$n" PLAINTEXT) $(listener_port "$n" SASL_SSL); do
			until port_open "$port"; do
				alive "$dir/node$n/pid" || die "node $n exited during start-up: see $dir/logs/node$n.out and $dir/logs/node$n/server.log"
				[ $SECONDS -lt $deadline ] || die "node $n: client port $port not open after ${timeout}s (logs in $dir/logs)"
				sleep 0.5
			done
		done
	done
	while :; do
		seen=$(jvm org.apache.kafka.tools.BrokerApiVersionsCommand --bootstrap-server "$bootstrap" \
			--command-config <(echo request.timeout.ms=5000) 2>/dev/null | grep -o '(id: [0-9]*' | sort -u | wc -l) || true
		[ "$seen" -ge "$(node_list | wc -l)" ] && return 0
		[ $SECONDS -lt $deadline ] || die "only $seen brokers in the metadata after ${timeout}s (logs in $dir/logs)"
		sleep 1
	done
}

running() { # prints the running node numbers
	local n
	for n in $(node_list); do alive "$dir/node$n/pid" && echo "$n"; done
	return 0
}

do_start() {
	need_fetched kafka
	[ -z "$(running)" ] || die "a cluster is already running in $dir (nodes $(running | tr '\n' ' ')); stop it first"
	rm -rf "$dir"/node* "$dir/logs" "$dir/bootstrap" "$dir/bootstrap_sasl_ssl" "$dir/cluster.id"
	local t0=$SECONDS n cport kport sport='' voters='' bootstrap='' sasl_bootstrap='' cluster_id
	declare -A cp kp sp
	for n in $(seq 1 "$nodes"); do
		if [ -n "$base_port" ]; then
			cport=$((base_port + n - 1)) kport=$((base_port + 100 + n - 1))
			port_open "$cport" && die "port $cport is in use"
			port_open "$kport" && die "port $kport is in use"
		else
			cport=$(free_port) kport=$(free_port)
		fi
		if [ -n "$sasl_ssl" ]; then
			if [ -n "$base_port" ]; then
				sport=$((base_port + 200 + n - 1))
				port_open "$sport" && die "port $sport is in use"
			else
				sport=$(free_port)
			fi
			sasl_bootstrap+="${sasl_bootstrap:+,}127.0.0.1:$sport"
		fi
		cp[$n]=$cport kp[$n]=$kport sp[$n]=$sport
		voters+="${voters:+,}$n@127.0.0.1:$kport"
		bootstrap+="${bootstrap:+,}127.0.0.1:$cport"
	done
	write_log4j
	# A Kafka cluster id is 16 random bytes in unpadded base64url (what StorageTool random-uuid
	# prints); made here to save a JVM start. Like Kafka's Uuid.randomUuid, never one that starts
	# with "-": StorageTool's argument parser would take it for an option.
	cluster_id=$(python3 -c '
import base64, os
while True:
    u = base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")
    if not u.startswith("-"):
        print(u)
        break')
	echo "$cluster_id" >"$dir/cluster.id"
	for n in $(seq 1 "$nodes"); do
		write_props "$n" "${cp[$n]}" "${kp[$n]}" "$voters" "${sp[$n]}"
		# Static quorum (controller.quorum.voters): format takes neither --standalone nor
		# --initial-controllers, which are for the dynamic quorum (controller.quorum.bootstrap.servers).
		jvm kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/node$n/server.properties" ${scram[@]+"${scram[@]}"} \
			>"$dir/logs.format.$n" 2>&1 || { cat "$dir/logs.format.$n" >&2; die "StorageTool format failed for node $n"; }
		rm -f "$dir/logs.format.$n"
	done
	echo "$bootstrap" >"$dir/bootstrap"
	[ -z "$sasl_bootstrap" ] || echo "$sasl_bootstrap" >"$dir/bootstrap_sasl_ssl"
	for n in $(seq 1 "$nodes"); do launch "$n"; done
	wait_ready $(seq 1 "$nodes")
	log "$nodes-node cluster $cluster_id up in $((SECONDS - t0))s; bootstrap in $dir/bootstrap, logs in $dir/logs"
	echo "$bootstrap"
}

do_stop() {
	local files=() n
	for n in $(node_list); do files+=("$dir/node$n/pid"); done
	[ -n "$(running)" ] || { log "not running in $dir"; rm -f ${files[@]+"${files[@]}"}; return 0; }
	# All at once: stopping one by one leaves the last nodes waiting for a controller quorum.
	stop_pids 30 "${files[@]}"
	log "stopped (data and logs kept in $dir)"
}

do_status() {
	local n up=0 all=0 port
	for n in $(node_list); do
		all=$((all + 1))
		port=$(listener_port "$n" PLAINTEXT)
		if alive "$dir/node$n/pid" && port_open "$port"; then
			up=$((up + 1))
			echo "node $n: up (pid $(cat "$dir/node$n/pid"), 127.0.0.1:$port)"
		else
			echo "node $n: down (127.0.0.1:$port)"
		fi
	done
	[ $all -gt 0 ] || { echo "no cluster in $dir"; return 1; }
	echo "bootstrap: $(cat "$dir/bootstrap")"
	[ ! -f "$dir/bootstrap_sasl_ssl" ] || echo "bootstrap SASL_SSL: $(cat "$dir/bootstrap_sasl_ssl")"
	[ $up = $all ]
}

do_kill_node() {
	[ -f "$dir/node$node_arg/server.properties" ] || die "no node $node_arg in $dir"
	alive "$dir/node$node_arg/pid" || die "node $node_arg is not running"
	kill -KILL "$(cat "$dir/node$node_arg/pid")"
	while alive "$dir/node$node_arg/pid"; do sleep 0.1; done
	rm -f "$dir/node$node_arg/pid"
	log "node $node_arg killed (SIGKILL)"
}

do_start_node() {
	need_fetched kafka
	[ -f "$dir/node$node_arg/server.properties" ] || die "no node $node_arg in $dir"
	alive "$dir/node$node_arg/pid" && die "node $node_arg is already running"
	local t0=$SECONDS
	launch "$node_arg"
	wait_ready "$node_arg"
	log "node $node_arg back in $((SECONDS - t0))s"
}

do_tool() {
	need_fetched kafka
	[ ${#tool_args[@]} -gt 0 ] || die "tool needs a name: topics, produce, consume, quorum, acls or a class"
	local name=${tool_args[0]} bs
	bs=$(cat "$dir/bootstrap" 2>/dev/null) || bs=
	[ -f "$dir/tools-log4j2.properties" ] || write_log4j
	case $name in
	topics) jvm org.apache.kafka.tools.TopicCommand --bootstrap-server "$bs" "${tool_args[@]:1}" ;;
	produce) jvm org.apache.kafka.tools.ConsoleProducer --bootstrap-server "$bs" "${tool_args[@]:1}" ;;
	consume) jvm org.apache.kafka.tools.consumer.ConsoleConsumer --bootstrap-server "$bs" "${tool_args[@]:1}" ;;
	quorum) jvm org.apache.kafka.tools.MetadataQuorumCommand --bootstrap-server "$bs" "${tool_args[@]:1}" ;;
	acls) jvm org.apache.kafka.tools.AclCommand --bootstrap-server "$bs" "${tool_args[@]:1}" ;;
	*) jvm "${tool_args[@]}" ;;
	esac
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
status) do_status ;;
kill-node) do_kill_node ;;
start-node) do_start_node ;;
tool) do_tool ;;
esac
