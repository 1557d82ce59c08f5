// Package all imports every registry adapter so that registry.Open knows
// them. Commands import this package, adapters never do.
package all

import (
	_ "github.com/msctl/msctl/internal/registry/consul" // consul://
)
