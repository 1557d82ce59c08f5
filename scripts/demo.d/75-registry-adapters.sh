# shellcheck shell=bash
# Part of scripts/demo.sh: the same registry commands on other registries.
# Consul's DNS interface through the DNS SRV adapter, then a real etcd
# (Debian's etcd-server) holding gRPC naming/endpoints registrations.

"$msctl" registry register demo-dns --id demo-dns-1 --host 127.0.0.1 --port 7001 --yes >/dev/null 2>&1 || true
step msctl registry instances demo-dns --registry "dns://127.0.0.1:$dns_port"
"$msctl" registry instances demo-dns --registry "dns://127.0.0.1:$dns_port" || true

"$repo/scripts/testenv.sh" etcd >/dev/null 2>&1 || true
if [ -x /usr/bin/etcd ]; then
	etcd_port=$(free_port)
	etcd_peer=$(free_port)
	/usr/bin/etcd --name demo --data-dir "$work/etcd" \
		--listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
		--listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
		--initial-cluster "demo=http://127.0.0.1:$etcd_peer" --log-level error --logger zap >"$work/etcd.log" 2>&1 &
	pids+=($!)
	for _ in $(seq 100); do
		curl -fsS "http://127.0.0.1:$etcd_port/health" 2>/dev/null | grep -q true && break
		sleep 0.1
	done
	etcd_url="etcd://127.0.0.1:$etcd_port"
	step msctl registry register greeter --registry "$etcd_url" --id 127.0.0.1:7101 --host 127.0.0.1 --port 7101 --check-ttl 60s --yes
	"$msctl" registry register greeter --registry "$etcd_url" --id 127.0.0.1:7101 --host 127.0.0.1 --port 7101 --check-ttl 60s --yes
	"$msctl" registry register greeter --registry "$etcd_url" --id 127.0.0.1:7102 --host 127.0.0.1 --port 7102 --meta version=1.1.0 --yes >/dev/null
	step msctl registry services --registry "$etcd_url"
	"$msctl" registry services --registry "$etcd_url"
	step msctl registry instances greeter --registry "$etcd_url"
	"$msctl" registry instances greeter --registry "$etcd_url"
	step msctl registry doctor greeter --registry "$etcd_url"
	"$msctl" registry doctor greeter --registry "$etcd_url" || true
else
	echo "(etcd is not installed: scripts/testenv.sh etcd installs it)"
fi
