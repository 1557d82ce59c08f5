package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	read := func(v string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: v}, Settings: settings}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	tests := []struct {
		name                  string
		version, commit, date string
		read                  func() (*debug.BuildInfo, bool)
		want                  Info
	}{
		{"ldflags win", "1.2.3", "abc", "2026-01-01", read("v9.9.9", debug.BuildSetting{Key: "vcs.revision", Value: "zzz"}),
			Info{Version: "1.2.3", Commit: "abc", Date: "2026-01-01"}},
		{"go install", "", "", "", read("v1.4.0"), Info{Version: "v1.4.0", Commit: "unknown", Date: "unknown"}},
		{"vcs", "", "", "", read("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: "deadbeef"},
			debug.BuildSetting{Key: "vcs.time", Value: "2026-11-27T00:00:00Z"}, debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			Info{Version: "dev", Commit: "deadbeef-dirty", Date: "2026-11-27T00:00:00Z"}},
		{"nothing", "", "", "", none, Info{Version: "dev", Commit: "unknown", Date: "unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromBuildInfo(tt.version, tt.commit, tt.date, tt.read)
			if got.Version != tt.want.Version || got.Commit != tt.want.Commit || got.Date != tt.want.Date {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if got.GoVersion == "" || got.Platform == "" {
				t.Errorf("go version or platform missing: %+v", got)
			}
		})
	}
}
