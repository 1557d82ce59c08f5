package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/msctl/msctl/internal/exitcode"
	lt "github.com/msctl/msctl/internal/loadtest"
)

// GRPCFlags are the flags used for grpc:// targets.
type GRPCFlags struct {
	Data        string
	Protos      []string
	ImportPaths []string
	Conns       int
}

func addGRPCFlags(cmd *cobra.Command, g *GRPCFlags) {
	fl := cmd.Flags()
	fl.StringVar(&g.Data, "data", "", "gRPC: request message as JSON (default {})")
	fl.StringArrayVar(&g.Protos, "proto", nil, "gRPC: proto file describing the service (default: server reflection)")
	fl.StringArrayVarP(&g.ImportPaths, "import-path", "I", nil, "gRPC: proto import folder")
	fl.IntVar(&g.Conns, "grpc-conns", 4, "gRPC: HTTP/2 connections to spread calls over")
	_ = cmd.MarkFlagFilename("proto", "proto")
	_ = cmd.MarkFlagDirname("import-path")
}

func (g GRPCFlags) args() []string {
	var a []string
	if g.Data != "" {
		a = append(a, "--data", g.Data)
	}
	if g.Conns != 4 {
		a = append(a, "--grpc-conns", fmt.Sprint(g.Conns))
	}
	return a
}

func newGRPCRequester(opts *Options) (lt.Requester, error) {
	if _, _, _, _, err := lt.ParseGRPCTarget(opts.Target); err != nil {
		return nil, exitcode.UsageError(err, "")
	}
	md := http.Header{}
	for _, kv := range opts.Headers {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			return nil, exitcode.Usagef("--header %q: want \"Name: value\"", kv)
		}
		md.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	ctx := opts.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	setup, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, err := lt.NewGRPCRequester(setup, lt.GRPCOptions{
		Target: opts.Target, Data: opts.GRPC.Data, Protos: opts.GRPC.Protos, ImportPaths: opts.GRPC.ImportPaths,
		Metadata: md, Insecure: opts.Insecure, Timeout: opts.Timeout, Conns: opts.GRPC.Conns,
	})
	if err != nil {
		return nil, exitcode.UnreachableError(err, "check the address, and that the server has reflection or give --proto")
	}
	return r, nil
}
