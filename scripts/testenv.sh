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

# grpcurl is the peer msctl probe grpc's output is compared with.
grpcurl() {
	if [ -x "$bin/grpcurl" ] && "$bin/grpcurl" -version 2>&1 | grep "${GRPCURL_VERSION#v}" >/dev/null; then
		log "grpcurl $GRPCURL_VERSION: cached in $bin"
		return
	fi
	log "grpcurl $GRPCURL_VERSION: installing from the Go module proxy"
	GOBIN="$bin" go install -ldflags "-X main.version=$GRPCURL_VERSION" "github.com/fullstorydev/grpcurl/cmd/grpcurl@$GRPCURL_VERSION"
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

# RabbitMQ for msctl probe amqp (testserver.StartRabbitMQ runs it).
rabbitmq() {
	if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then
		log "rabbitmq-server: installed"
		return
	fi
	log "rabbitmq-server: installing the Debian package"
	apt_install rabbitmq-server
}

# ActiveMQ 5 for msctl probe stomp (testserver.StartActiveMQ runs it).
activemq() {
	if [ -f /usr/share/activemq/bin/activemq.jar ] && command -v java >/dev/null; then
		log "activemq: installed"
		return
	fi
	log "activemq: installing the Debian package"
	apt_install activemq
}

all=(consul goreleaser grpcurl rabbitmq activemq)
parts=("$@")
[ ${#parts[@]} -eq 0 ] && parts=("${all[@]}")
for p in "${parts[@]}"; do
	case " ${all[*]} " in
	*" $p "*) "$p" ;;
	*) log "unknown part $p (known: ${all[*]})"; exit 2 ;;
	esac
done
log "ready: $bin"
