package testserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// OmniNames is a running omniORB naming service (Debian's
// omniorb-nameserver) on loopback, with nameclt (Debian's omniorb) to bind
// names in it.
type OmniNames struct {
	// Addr is host:port; Corbaloc is corbaloc::Addr/NameService.
	Addr     string
	Corbaloc string
	// IOR is the root context's IOR, as omniNames logs it.
	IOR     string
	nameclt string
	p       *process
}

// findOmniORB finds an omniORB tool, whose absence names testenv's part.
func findOmniORB(name string) (string, error) {
	p, err := Find(name)
	if err != nil {
		return "", &MissingError{Name: name + " (omniORB)", Part: "omniorb"}
	}
	return p, nil
}

var rootIOR = regexp.MustCompile(`Root context is (IOR:[0-9a-fA-F]+)`)

// StartOmniNames starts omniNames on a free port with its own data and
// log folder, and waits until it logs its root context and accepts
// connections.
func StartOmniNames() (*OmniNames, error) {
	bin, err := findOmniORB("omniNames")
	if err != nil {
		return nil, err
	}
	nameclt, err := findOmniORB("nameclt")
	if err != nil {
		return nil, err
	}
	if _, err := findOmniORB("catior"); err != nil {
		return nil, err
	}
	ports, err := FreePorts(1)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "msctl-omninames-*")
	if err != nil {
		return nil, err
	}
	o := &OmniNames{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), nameclt: nameclt}
	o.Corbaloc = "corbaloc::" + o.Addr + "/NameService"
	o.p, err = startProcess("omniNames", dir, bin, "-start", fmt.Sprint(ports[0]), "-datadir", dir, "-logdir", dir,
		"-ORBendPoint", "giop:tcp:"+o.Addr)
	if err != nil {
		return nil, err
	}
	err = o.p.wait(30*time.Second, func(ctx context.Context) error {
		m := rootIOR.FindStringSubmatch(o.p.logs.String())
		if m == nil {
			return errors.New("no root context in the log yet")
		}
		o.IOR = m[1]
		return dialable(ctx, o.Addr)
	})
	if err != nil {
		o.p.kill()
		return nil, err
	}
	return o, nil
}

// Nameclt runs nameclt against the service (bind_new_context a/b,
// bind NAME IOR, list...).
func (o *OmniNames) Nameclt(args ...string) (string, error) {
	full := append([]string{"-ORBInitRef", "NameService=" + o.Corbaloc}, args...)
	out, err := exec.Command(o.nameclt, full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("nameclt %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// Catior runs omniORB's catior on an IOR.
func Catior(ior string, args ...string) (string, error) {
	bin, err := findOmniORB("catior")
	if err != nil {
		return "", err
	}
	out, err := exec.Command(bin, append(args, ior)...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("catior: %w: %s", err, out)
	}
	return string(out), nil
}

// Stop stops omniNames and removes its folder.
func (o *OmniNames) Stop() { o.p.stop() }
