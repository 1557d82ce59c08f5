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
	"math/rand/v2"
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
type MissingError struct {
	Name string
	// Part, when set, is the scripts/testenv.sh part that installs it.
	Part string
}

func (e *MissingError) Error() string {
	if e.Part != "" {
		return fmt.Sprintf("%s is not installed (looked in %s and $PATH): run `scripts/testenv.sh %s` to install it", e.Name, BinDir(), e.Part)
	}
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

// FreePorts reserves n distinct free ports on 127.0.0.1, each free for both
// TCP and UDP (Consul's DNS port needs both). They are picked at random
// below Linux's ephemeral range (32768 and up), where the kernel never hands
// out ports to outgoing connections or to other tests' ":0" listeners, so a
// port is very unlikely to be taken between this call and the server
// binding it. The listeners are held until all n are chosen, so the ports
// never collide with each other.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	var closers []func()
	defer func() {
		for _, c := range closers {
			c()
		}
	}()
	for tries := 0; len(ports) < n; tries++ {
		if tries > 2000 {
			return nil, fmt.Errorf("reserving %d ports: no free port found below 32768", n)
		}
		port := 20000 + rand.IntN(12000)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			l.Close()
			continue
		}
		closers = append(closers, func() { l.Close(); u.Close() })
		ports = append(ports, port)
	}
	return ports, nil
}
