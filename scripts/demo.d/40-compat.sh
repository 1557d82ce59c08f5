# shellcheck shell=bash
# msctl compat: an API change in a temporary git repository, checked against
# the default baseline (the merge-base with main), then in the WIRE category
# once the deleted field's number is reserved. A scaffolded service in $work
# (from an earlier demo part) is checked too.
part "Gate an API change in CI (no registry needed)"
compat_dir="$work/compat-demo"
svc=$(find "$work" -maxdepth 3 -name service.yaml 2>/dev/null | head -n 1 || true)
if [ -n "$svc" ] && grep -q '^apis:' "$svc"; then
	step "msctl compat --file $svc --against $(dirname "$svc")"
	"$msctl" compat --file "$svc" --against "$(dirname "$svc")" || true
fi
mkdir -p "$compat_dir/api"
(
	cd "$compat_dir"
	git init -q -b main
	cat >api/orders.proto <<'PROTO'
syntax = "proto3";
package orders.v1;
message Order {
  string id = 1;
  string note = 2;
}
service Orders {
  rpc Get(Order) returns (Order);
}
PROTO
	git add -A
	git -c user.name=demo -c user.email=demo@example.com commit -qm "orders v1"
	git checkout -qb change
	sed -i '/string note = 2;/d' api/orders.proto
)
step "msctl compat proto api/orders.proto   (baseline: merge-base with main)"
(cd "$compat_dir" && "$msctl" compat proto api/orders.proto) || echo "(exit $?: the breaking change needs a major bump)"
step "msctl compat proto api/orders.proto --format github-actions"
(cd "$compat_dir" && "$msctl" compat proto api/orders.proto --format github-actions) || true
step "msctl compat proto api/orders.proto --category wire   (after reserving the number)"
sed -i 's/^  string id = 1;/  string id = 1;\n  reserved 2;/' "$compat_dir/api/orders.proto"
(cd "$compat_dir" && "$msctl" compat proto api/orders.proto --category wire)
