# shellcheck shell=bash
# Part of scripts/demo.sh: plan a canary and a rolling update for the demo
# service. Uses $work/service.yaml when an earlier part wrote one (msctl new),
# otherwise writes a small one.
part "Plan and render a rollout (no registry needed)"
svc="$work/service.yaml"
if [ ! -f "$svc" ]; then
	svc="$work/deploy-service.yaml"
	cat >"$svc" <<'YAML'
name: orders
protocols: [http]
deploy:
  replicas: 10
  resources:
    cpu: 500m
    memory: 256Mi
  ready_time: 20s
  rps: 200
YAML
fi
step "msctl deploy plan --from $(basename "$svc") --strategy canary --steps 15,50,100"
"$msctl" deploy plan --from "$svc" --strategy canary --steps 15,50,100 --pause 5m
step "msctl deploy plan --from $(basename "$svc") --strategy rolling --max-surge 25% --max-unavailable 0"
"$msctl" deploy plan --from "$svc" --strategy rolling --max-surge 25% --max-unavailable 0 --svg "$work/rolling.svg"
echo "(timeline also written to $work/rolling.svg)"
step "msctl deploy simulate --replicas 5 --max-surge 1 --max-unavailable 0 --fail-at 2"
"$msctl" deploy simulate --replicas 5 --max-surge 1 --max-unavailable 0 --fail-at 2 || echo "(exit $?: the rollout stalls, all 5 old pods keep serving)"
step "msctl deploy render --target argo-rollouts --from $(basename "$svc") --strategy canary --traffic-router istio"
"$msctl" deploy render --target argo-rollouts --from "$svc" --strategy canary --steps 10,50,100 --traffic-router istio | head -30
