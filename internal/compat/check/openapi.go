package check

import (
	"context"
	"fmt"
	"os"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/compat/openapicompat"
)

// OpenAPI compares OpenAPI 3.0/3.1 documents; the declared versions are
// info.version.
func OpenAPI(ctx context.Context, o Options) (*compat.Report, error) {
	if st, err := os.Stat(o.Target); err != nil || st.IsDir() {
		if err == nil {
			err = fmt.Errorf("is a folder: name the OpenAPI document")
		}
		return nil, InputError(fmt.Errorf("reading %s: %w", o.Target, err))
	}
	r, err := resolve(ctx, &o)
	if err != nil {
		return nil, err
	}
	nd, err := openapicompat.Load(o.Target, nil, "")
	if err != nil {
		return nil, InputError(err)
	}
	od, err := openapicompat.Load(r.target, r.src.ReadFile, r.src.Label())
	if err != nil {
		return nil, InputError(fmt.Errorf("baseline %s: %w", r.describe, err))
	}
	rep := &compat.Report{Language: "openapi", Target: o.Target, Baseline: r.describe, Findings: openapicompat.Compare(od, nd), Notes: r.notes}
	return finish(&o, rep, gate(ctx, &o, r, od.Version, nd.Version, "info.version")), nil
}
