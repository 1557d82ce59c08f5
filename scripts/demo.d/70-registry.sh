# shellcheck shell=bash
# Part of scripts/demo.sh: msctl registry on the demo's Consul agent. Two
# healthy instances of web, one whose port is closed although its check
# passes, and one failing check; then services, instances, doctor, watch.
part "Inspect and diagnose a registry"

# A live "instance": a listener that accepts and closes connections.
python3 -c 'import socket,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1",0)); s.listen(64)
print(s.getsockname()[1], flush=True)
while True:
    c,_=s.accept(); c.close()' >"$work/web.port" &
pids+=($!)
for _ in $(seq 50); do [ -s "$work/web.port" ] && break; sleep 0.1; done
web_port=$(head -1 "$work/web.port")
closed_port=$(free_port)

step msctl registry register web --host 127.0.0.1 --port "$web_port" --id web-1 --tag v2 --meta version=2.0.0 --check-tcp "127.0.0.1:$web_port" --check-interval 1s --dry-run
"$msctl" registry register web --host 127.0.0.1 --port "$web_port" --id web-1 --tag v2 --meta version=2.0.0 \
	--check-tcp "127.0.0.1:$web_port" --check-interval 1s --dry-run
step msctl registry register web ... --yes   '# web-1, web-2 healthy; web-3 passes its TTL check but nothing listens; web-4 fails'
"$msctl" registry register web --host 127.0.0.1 --port "$web_port" --id web-1 --tag v2 --meta version=2.0.0 \
	--check-tcp "127.0.0.1:$web_port" --check-interval 1s --yes
"$msctl" registry register web --host 127.0.0.2 --port "$web_port" --id web-2 --tag v2 --meta version=2.0.0 --check-ttl 1h --yes
"$msctl" registry register web --host 127.0.0.1 --port "$closed_port" --id web-3 --tag v2 --meta version=1.9.0 --check-ttl 1h --yes
"$msctl" registry register web --host 127.0.0.1 --port 1 --id web-4 --check-tcp 127.0.0.1:1 --check-interval 1s --yes
curl -fsS -X PUT "http://127.0.0.1:$http_port/v1/agent/check/pass/service:web-2" >/dev/null
curl -fsS -X PUT "http://127.0.0.1:$http_port/v1/agent/check/pass/service:web-3" >/dev/null
sleep 2

step msctl registry services
"$msctl" registry services
step msctl registry instances web
"$msctl" registry instances web
step msctl registry doctor web
"$msctl" registry doctor web || echo "(exit $?: a critical finding)"

step "msctl registry watch web --for 3s   # while web-2's TTL check fails"
"$msctl" registry watch web --for 3s &
watch_pid=$!
sleep 1
curl -fsS -X PUT "http://127.0.0.1:$http_port/v1/agent/check/fail/service:web-2?note=demo" >/dev/null
wait "$watch_pid" || true

step msctl registry deregister web web-4 --yes
"$msctl" registry deregister web web-4 --yes
