//go:build tools

// Package tools pins the real servers and peer tools that msctl's tests and
// benchmarks run. It is a separate module so that Consul's large dependency
// graph (and its api pin) never leaks into msctl's own go.mod.
package tools

import (
	_ "github.com/hashicorp/consul"
)
