// Package buildinfo reports which msctl this is. Release builds set the
// variables below with -ldflags (see .goreleaser.yaml); other builds fall
// back to what the Go toolchain recorded in the binary.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set at link time by goreleaser:
//
//	-X github.com/msctl/msctl/internal/buildinfo.Version={{.Version}}
var (
	Version = ""
	Commit  = ""
	Date    = ""
)

// Info is the build's identity. Its JSON field names are part of
// `msctl version -o json`'s documented output.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// Get returns the build's identity.
func Get() Info {
	return fromBuildInfo(Version, Commit, Date, debug.ReadBuildInfo)
}

func fromBuildInfo(version, commit, date string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{
		Version:   version,
		Commit:    commit,
		Date:      date,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi, ok := read(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			// `go install github.com/msctl/msctl/cmd/msctl@v1.2.3` records the
			// module version here.
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				if s.Value == "true" && info.Commit != "" && commit == "" {
					info.Commit += "-dirty"
				}
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}
