// Package controllers holds tests that run what `msctl deploy render`
// writes through the validation code of the systems that consume it: Argo
// Rollouts' own Rollout and reference validation (the checks whose failure
// marks a Rollout InvalidSpec), the API server's CRD schema validation and
// pruning with Argo Rollouts' and Flagger's published CRDs, and
// Kubernetes' own Deployment and Service validation.
//
// It is a module of its own because those projects' dependency trees
// (k8s.io/kubernetes and its staging modules at their pinned versions) do
// not belong in msctl's build; msctl is built from the repository root and
// run as a binary, as a user runs it. `make controllers` runs it and `make
// test` includes it.
package controllers
