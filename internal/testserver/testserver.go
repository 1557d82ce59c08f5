// Package testserver starts the real servers that msctl's tests talk to
// (a Consul agent first; etcd, ZooKeeper, NATS and others as areas need
// them) on free loopback ports, and stops them when the test ends.
//
// The binaries are made available by scripts/testenv.sh (run by `make
// test`), which builds or installs them into a cache folder. A test whose
// server is missing fails with a message that says how to get it; nothing
// is skipped silently.
package testserver

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
)

// BinDir is the folder scripts/testenv.sh installs binaries into:
// $MSCTL_TESTENV_BIN, else $XDG_CACHE_HOME/msctl-testenv/bin, else
// ~/.cache/msctl-testenv/bin.
func BinDir() string {
	if d := os.Getenv("MSCTL_TESTENV_BIN"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "msctl-testenv", "bin")
}

// MissingError says a server binary is not installed and how to get it.
type MissingError struct{ Name string }

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not installed (looked in %s and $PATH): run `scripts/testenv.sh` (or `make test`, which runs it) to build or install it", e.Name, BinDir())
}

// Find locates a server binary in BinDir, then on $PATH.
func Find(name string) (string, error) {
	p := filepath.Join(BinDir(), name)
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p, nil
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", &MissingError{Name: name}
}

// FreePorts reserves n distinct free TCP ports on 127.0.0.1. The listeners
// are closed before returning, so a port could in principle be taken again
// before the server binds it; all are held until every one is chosen so that
// at least they never collide with each other.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserving a port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
