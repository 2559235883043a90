# Shared by the content benchmarks: build the bench jar and run its classes; start and stop a local network.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
JAR=$ROOT/bench/target/bench-0.1.0-SNAPSHOT.jar

bench_java() { # class args...
  # Built with `package` (never `install`: nothing goes into ~/.m2) and run on a classpath the same reactor
  # resolved, so the sibling modules are this working tree's target/ jars, not whatever ~/.m2 holds.
  local cp_file=$ROOT/bench/target/classpath.txt
  if [ ! -f "$JAR" ] || [ ! -f "$cp_file" ] || [ "$cp_file" -ot "$JAR" ] || grep -q '/dev/p2psuite/' "$cp_file" \
     || [ -n "$(find "$ROOT"/*/src "$ROOT"/pom.xml "$ROOT"/*/pom.xml -newer "$JAR" -print -quit)" ]; then
    echo "building (mvn -pl bench -am package dependency:build-classpath -DskipTests)..." >&2
    (cd "$ROOT" && mvn -B -q -pl bench -am -DskipTests package dependency:build-classpath \
      -Dmdep.outputFile=target/classpath.txt >&2) || return 1
  fi
  local class=$1; shift
  # The client runs C1 only, as ./p2p's CLI does: it shares the 2 cores with the services, and C2 compiling its gRPC
  # paths cost as much as its work (perf during bench/transfer: its C2 thread a third of its CPU).
  java ${BENCH_JVM_OPTS:--Xmx1g -XX:+UseSerialGC -XX:TieredStopAtLevel=1} -cp "$JAR:$(cat "$cp_file")" "dev.p2psuite.bench.$class" "$@"
}

# A network of its own: own run directory and ports, so a running ./p2p network is left alone.
export P2P_RUN_DIR=${P2P_RUN_DIR:-${TMPDIR:-/tmp}/p2p-bench/net}
export P2P_BASE_PORT=${P2P_BASE_PORT:-17600}
# Every service writes a GC log next to its log: ContentBench reads the heap in use before each collection from it
# (max_heap_mib=), which costs the services nothing, unlike polling 16 Prometheus endpoints while they work.
for svc in gateway dht_service storage_service relay_service; do
  var=P2P_JVM_EXTRA_$svc
  export "$var=${!var:-} -Xlog:gc:file=$P2P_RUN_DIR/logs/node{node}-${svc//_/-}.gc.log"
done
network_up() { # nodes
  "$ROOT/p2p" down >/dev/null 2>&1 || true
  rm -rf "$P2P_RUN_DIR"
  "$ROOT/p2p" up --nodes "$1" >&2
}
network_down() { "$ROOT/p2p" down >&2 || true; }
