package check

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/msctl/msctl/internal/compat"
	"github.com/msctl/msctl/internal/compat/baseline"
	"github.com/msctl/msctl/internal/compat/graphqlcompat"
	"github.com/msctl/msctl/internal/compat/openapicompat"
	"github.com/msctl/msctl/internal/compat/protocompat"
	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/servicefile"
)

// Language runs the check for one language: proto, openapi or graphql.
func Language(ctx context.Context, lang string, o Options) (*compat.Report, error) {
	switch lang {
	case "proto":
		return Proto(ctx, o)
	case "openapi":
		return OpenAPI(ctx, o)
	case "graphql":
		return GraphQL(ctx, o)
	}
	return nil, exitcode.Usagef("unknown API kind %q", lang)
}

// Rules lists every language's rules by ID, for SARIF.
func Rules() map[string]compat.Rule {
	m := map[string]compat.Rule{}
	for _, r := range protocompat.Rules() {
		m[r.ID] = r
	}
	for _, r := range openapicompat.Rules() {
		m[r.ID] = r
	}
	for _, r := range graphqlcompat.Rules() {
		m[r.ID] = r
	}
	return m
}

// Service checks every API that a service.yaml lists, each against the
// same baseline kind (its own path at the baseline revision).
func Service(ctx context.Context, file string, o Options) (*compat.Result, error) {
	svc, err := servicefile.Load(file)
	if err != nil {
		return nil, exitcode.UsageError(err, "run it in a service's folder, or name the file with --file")
	}
	if len(svc.APIs) == 0 {
		return nil, exitcode.Usagef("%s lists no APIs (apis: [{kind: proto|openapi|graphql, path: ...}])", file)
	}
	dir := filepath.Dir(file)
	res := &compat.Result{OK: true}
	for _, api := range svc.APIs {
		ao := o
		ao.Target = filepath.Join(dir, api.Path)
		ao.ImportPaths = append([]string(nil), o.ImportPaths...)
		for _, ip := range api.ImportPaths {
			ao.ImportPaths = append(ao.ImportPaths, filepath.Join(dir, ip))
		}
		rep, err := Language(ctx, api.Kind, ao)
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", ao.Target, api.Kind, err)
		}
		res.Reports = append(res.Reports, rep)
		res.OK = res.OK && rep.OK
	}
	return res, nil
}

func localList(dir string, exts ...string) ([]string, error) {
	return baseline.Local{}.ListFiles(dir, exts...)
}
