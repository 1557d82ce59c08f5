#!/usr/bin/env bash
# scripts/bench/compat.sh: msctl compat against its peers on the same large
# inputs, side by side in one run: `buf breaking` on a generated set of
# proto files, and `oasdiff breaking` on a generated OpenAPI document with
# several thousand operations. Prints wall time and peak memory (RSS) of
# each and the msctl/peer ratios. Peers come from scripts/testenv.sh.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${MSCTL_TESTENV_BIN:-${XDG_CACHE_HOME:-$HOME/.cache}/msctl-testenv/bin}
"$repo/scripts/testenv.sh" buf oasdiff >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && go build -o "$work/msctl" ./cmd/msctl)
FILES=${FILES:-200} MESSAGES=${MESSAGES:-40} OPS=${OPS:-4000}

python3 - "$work" "$FILES" "$MESSAGES" "$OPS" <<'PY'
import os, sys, json
work, files, msgs, ops = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
for side in ('old', 'new'):
    for f in range(files):
        d = os.path.join(work, 'proto', side, 'bench', 'v1')
        os.makedirs(d, exist_ok=True)
        out = ['syntax = "proto3";', 'package bench.v1;', 'option go_package = "example.com/bench/v1;benchv1";']
        for m in range(msgs):
            out.append('message F%dM%d {' % (f, m))
            for i in range(1, 11):
                if side == 'new' and m == 0 and i == 10:
                    continue  # one deleted field per file
                out.append('  string f%d = %d;' % (i, i))
            out.append('}')
        out.append('service S%d {' % f)
        for m in range(msgs):
            out.append('  rpc Call%d(F%dM%d) returns (F%dM%d);' % (m, f, m, f, m))
        out.append('}')
        open(os.path.join(d, 'f%d.proto' % f), 'w').write('\n'.join(out) + '\n')
    paths = {}
    for i in range(ops // 2):
        item = {'type': 'object', 'required': ['id'], 'properties': {'id': {'type': 'string'}, 'n': {'type': 'integer', 'maximum': 100}}}
        params = [{'name': 'id', 'in': 'path', 'required': True, 'schema': {'type': 'string'}}]
        if side == 'new' and i % 50 == 0:
            params.append({'name': 'tenant', 'in': 'query', 'required': True, 'schema': {'type': 'string'}})
        paths['/r%d/{id}' % i] = {
            'get': {'operationId': 'get%d' % i, 'parameters': params, 'responses': {'200': {'description': 'ok', 'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Item%d' % i}}}}}},
            'put': {'operationId': 'put%d' % i, 'parameters': params, 'requestBody': {'content': {'application/json': {'schema': {'$ref': '#/components/schemas/Item%d' % i}}}}, 'responses': {'204': {'description': 'ok'}}},
        }
    doc = {'openapi': '3.0.3', 'info': {'title': 'bench', 'version': '1.0.0'}, 'paths': paths,
           'components': {'schemas': {'Item%d' % i: item for i in range(ops // 2)}}}
    os.makedirs(os.path.join(work, 'openapi'), exist_ok=True)
    json.dump(doc, open(os.path.join(work, 'openapi', side + '.json'), 'w'))
PY

# measure NAME CMD...: runs CMD 3 times, keeps the run with the least CPU
# time (user+sys: on a shared machine wall time mostly measures the other
# load) with its wall time and peak RSS (GNU time). The exit status is
# ignored: breaking changes exit non-zero on purpose.
measure() {
	local name=$1; shift
	local best_c= best_t= best_m=
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >/dev/null 2>&1 || true
		read -r t m u s < <(tail -n 1 "$work/time")
		c=$(awk "BEGIN{print $u + $s}")
		if [ -z "$best_c" ] || awk "BEGIN{exit !($c < $best_c)}"; then best_c=$c best_t=$t best_m=$m; fi
	done
	printf '%-24s cpu %7.2f s  wall %7.2f s  rss %8d KiB\n' "$name" "$best_c" "$best_t" "$best_m" >&2
	echo "$best_c $best_m"
}

echo "proto: $FILES files x $MESSAGES messages; OpenAPI: $OPS operations" >&2
cd "$work/proto"
read -r mt mm < <(measure "msctl compat proto" "$work/msctl" compat proto new --against old --no-semver)
read -r bt bm < <(measure "buf breaking" env BUF_CACHE_DIR="$work/bufcache" "$bin/buf" breaking new --against old)
cd "$work/openapi"
read -r ot om < <(measure "msctl compat openapi" "$work/msctl" compat openapi new.json --against old.json --no-semver)
read -r dt dm < <(measure "oasdiff breaking" "$bin/oasdiff" breaking old.json new.json --fail-on ERR)
awk -v mt="$mt" -v bt="$bt" -v mm="$mm" -v bm="$bm" -v ot="$ot" -v dt="$dt" -v om="$om" -v dm="$dm" 'BEGIN {
	printf "proto   msctl/buf      cpu time %.2fx  memory %.2fx\n", mt/bt, mm/bm
	printf "openapi msctl/oasdiff  cpu time %.2fx  memory %.2fx\n", ot/dt, om/dm
}'
