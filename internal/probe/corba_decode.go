package probe

import (
	"fmt"
	"io"

	"github.com/msctl/msctl/internal/giop"
)

// WriteIOR prints an IOR's contents the way catior lays them out: type id,
// then each profile with its version, address, object key (readable and
// hex) and tagged components.
func WriteIOR(w io.Writer, ior *giop.IOR) error {
	if _, err := fmt.Fprintf(w, "Type ID: %q\nProfiles:\n", ior.TypeID); err != nil {
		return err
	}
	for i, p := range ior.Profiles {
		if p.IIOP == nil {
			fmt.Fprintf(w, "%d. %s %s\n", i+1, p.Name, p.Data)
			continue
		}
		ip := p.IIOP
		fmt.Fprintf(w, "%d. IIOP %d.%d %s %d %q\n", i+1, ip.Major, ip.Minor, ip.Host, ip.Port, ip.KeyText)
		fmt.Fprintf(w, "      object key hex %s (%d bytes)\n", ip.KeyHex, len(ip.ObjectKey))
		for _, c := range ip.Components {
			v := c.Text
			if v == "" {
				v = c.Hex
			}
			fmt.Fprintf(w, "      %s %s\n", c.Name, v)
		}
	}
	return nil
}
