#!/usr/bin/env bash
# scripts/testenv.sh makes the real servers and tools that msctl's tests
# need available, idempotently and with a cache. Run with no arguments for
# everything, or name the parts: scripts/testenv.sh consul goreleaser
#
# Binaries go to $MSCTL_TESTENV_BIN (default
# ${XDG_CACHE_HOME:-~/.cache}/msctl-testenv/bin), which is where the Go test
# helpers in internal/testserver look first. Debian packages are installed
# with apt-get when their binaries are missing (this needs root, as on CI).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
mkdir -p "$bin"

log() { printf 'testenv: %s\n' "$*" >&2; }

# Versions of what is built from the Go module proxy. Consul 1.15.4 is the
# last MPL-2.0 release; it compiles only with consul/api v1.23.0, which the
# tools module (scripts/tools/go.mod) pins.
CONSUL_VERSION=1.15.4
GORELEASER_VERSION=v2.15.1
SERF_VERSION=v0.10.2
# Peers that msctl compat's agreement tests run on the same corpus. Measured
# on the 2-core machine: buf builds in about 65 s, oasdiff in about 10 s
# (with a warm module cache; more on a fresh one).
BUF_VERSION=v1.75.0
OASDIFF_VERSION=v1.37.0
GRPCURL_VERSION=v1.9.4

have_version() { # have_version BIN PATTERN: BIN exists and its --version matches
	[ -x "$1" ] && "$1" version 2>/dev/null | grep "$2" >/dev/null
}

consul() {
	if have_version "$bin/consul" "Consul v$CONSUL_VERSION"; then
		log "consul v$CONSUL_VERSION: cached in $bin"
		return
	fi
	log "consul v$CONSUL_VERSION: building from the Go module proxy (about a minute)"
	(cd "$repo/scripts/tools" && go build -o "$bin/consul.tmp" github.com/hashicorp/consul)
	mv "$bin/consul.tmp" "$bin/consul"
}

goreleaser() {
	if [ -x "$bin/goreleaser" ] && "$bin/goreleaser" --version 2>/dev/null | grep "${GORELEASER_VERSION#v}" >/dev/null; then
		log "goreleaser $GORELEASER_VERSION: cached in $bin"
		return
	fi
	log "goreleaser $GORELEASER_VERSION: installing from the Go module proxy (a few minutes)"
	GOBIN="$bin" go install "github.com/goreleaser/goreleaser/v2@$GORELEASER_VERSION"
}

# grpcurl is the peer msctl probe grpc's output is compared with, and the
# yardstick of msctl's start-up budget (cmd/msctl/startup_test.go,
# scripts/bench/startup.sh). It is built as its releases are (static,
# -trimpath, stripped: grpcurl's .goreleaser.yml), as msctl's are, so the
# two start-ups compare like with like.
grpcurl() {
	if [ -x "$bin/grpcurl" ] && "$bin/grpcurl" -version 2>&1 | grep "${GRPCURL_VERSION#v}" >/dev/null &&
		go version -m "$bin/grpcurl" | grep -e 'CGO_ENABLED=0' >/dev/null &&
		go version -m "$bin/grpcurl" | grep -e '-trimpath=true' >/dev/null; then
		log "grpcurl $GRPCURL_VERSION: cached in $bin"
		return
	fi
	log "grpcurl $GRPCURL_VERSION: building as released from the Go module proxy (about two minutes)"
	local tmp
	tmp=$(mktemp -d)
	# Built aside and moved in: tests running now keep a whole binary.
	CGO_ENABLED=0 GOBIN="$tmp" go install -trimpath -ldflags "-s -w -X main.version=$GRPCURL_VERSION" \
		"github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
	mv "$tmp/grpcurl" "$bin/grpcurl"
	rmdir "$tmp"
}

buf() {
	if [ -x "$bin/buf" ] && [ "$("$bin/buf" --version 2>/dev/null)" = "${BUF_VERSION#v}" ]; then
		log "buf $BUF_VERSION: cached in $bin"
		return
	fi
	log "buf $BUF_VERSION: installing from the Go module proxy (about a minute)"
	GOBIN="$bin" go install "github.com/bufbuild/buf/cmd/buf@$BUF_VERSION"
}

oasdiff() {
	# go install leaves oasdiff's version as "main", so a marker file
	# records which version was installed.
	if [ -x "$bin/oasdiff" ] && [ "$(cat "$bin/oasdiff.version" 2>/dev/null)" = "$OASDIFF_VERSION" ]; then
		log "oasdiff $OASDIFF_VERSION: cached in $bin"
		return
	fi
	log "oasdiff $OASDIFF_VERSION: installing from the Go module proxy"
	GOBIN="$bin" go install "github.com/oasdiff/oasdiff@$OASDIFF_VERSION"
	echo "$OASDIFF_VERSION" >"$bin/oasdiff.version"
}

# loadpeers installs the load generators scripts/bench/loadtest.sh compares
# msctl with. It is not part of `all`: benchmarks are not part of make test.
VEGETA_VERSION=v12.13.0
loadpeers() {
	# vegeta -version is empty when built by go install; ask the binary's
	# module information instead.
	if [ -x "$bin/vegeta" ] && go version -m "$bin/vegeta" 2>/dev/null | grep "vegeta/v12[[:space:]]*$VEGETA_VERSION" >/dev/null; then
		log "vegeta $VEGETA_VERSION: cached in $bin"
	else
		log "vegeta $VEGETA_VERSION: installing from the Go module proxy"
		GOBIN="$bin" go install "github.com/tsenart/vegeta/v12@$VEGETA_VERSION"
	fi
	if command -v hey >/dev/null && command -v wrk >/dev/null; then
		log "hey, wrk: installed"
	else
		apt_install hey wrk
	fi
}

apt_updated=
apt_install() { # apt_install PACKAGE...: install Debian packages once
	if [ "$(id -u)" != 0 ]; then
		log "need root to apt-get install $*; install them yourself and re-run"
		return 1
	fi
	if [ -z "$apt_updated" ]; then
		DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
		apt_updated=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
}

etcd() { # Debian's etcd 3.4 server, for the etcd registry adapter's tests
	if [ -x /usr/bin/etcd ]; then
		log "etcd: $(/usr/bin/etcd --version | head -1)"
		return
	fi
	log "etcd: installing Debian etcd-server"
	apt_install etcd-server
}

zookeeper() { # Debian's ZooKeeper 3.8 (runs on the installed Java 17)
	if [ -f /usr/share/java/zookeeper.jar ]; then
		log "zookeeper: /usr/share/java/zookeeper.jar"
		return
	fi
	log "zookeeper: installing Debian zookeeper"
	apt_install zookeeper
}

serf() { # Serf agent (MPL-2.0) from the Go module proxy, for the serf adapter's tests
	# serf v0.10.2 still calls itself 0.8.2-dev, so a stamp file records
	# which module version was installed.
	if [ -x "$bin/serf" ] && [ "$(cat "$bin/serf.version" 2>/dev/null)" = "$SERF_VERSION" ]; then
		log "serf $SERF_VERSION: cached in $bin"
		return
	fi
	log "serf $SERF_VERSION: installing from the Go module proxy"
	GOBIN="$bin" go install "github.com/hashicorp/serf/cmd/serf@$SERF_VERSION"
	echo "$SERF_VERSION" >"$bin/serf.version"
}

rabbitmq() { # RabbitMQ for msctl new's amqp variant (testserver.StartRabbitMQ)
	if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
		log "rabbitmq: installed"
		return
	fi
	log "rabbitmq: installing the Debian package"
	apt_install rabbitmq-server
	# The package starts a system node; tests start their own.
	systemctl stop rabbitmq-server 2>/dev/null || service rabbitmq-server stop 2>/dev/null || true
}

# ActiveMQ 5 for msctl probe stomp (probeserver.StartActiveMQ runs it).
activemq() {
	if [ -f /usr/share/activemq/bin/activemq.jar ] && command -v java >/dev/null; then
		log "activemq: installed"
		return
	fi
	log "activemq: installing the Debian package"
	apt_install activemq
}

all=(consul goreleaser etcd zookeeper serf buf oasdiff rabbitmq grpcurl activemq)
# Optional parts, only installed when named.
optional=(loadpeers)
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=("${all[@]}")
for p in "${parts[@]}"; do
	case " ${all[*]} ${optional[*]} " in
	*" $p "*) "$p" ;;
	*) log "unknown part $p (known: ${all[*]} ${optional[*]})"; exit 2 ;;
	esac
done
log "ready: $bin"
