package new

import (
	"errors"
	"slices"
	"strconv"

	"github.com/charmbracelet/huh"

	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/scaffold/service"
)

// askService asks every question of `msctl new service` in a terminal form.
// Each has a flag and an --answers key, so scripts never need the form.
// accessible asks line by line (screen readers; ACCESSIBLE=1), which is
// also how the tests drive it.
func askService(ios *iostreams.IOStreams, accessible bool) (service.Answers, error) {
	var a service.Answers
	rate, burst, port := "100", "50", "8080"
	a.Protocols = []string{"http"}
	a.Registry = "consul"
	options := func(opts []service.Option) []huh.Option[string] {
		out := make([]huh.Option[string], len(opts))
		for i, o := range opts {
			out[i] = huh.NewOption(o.Name+": "+o.Description, o.Name)
		}
		return out
	}
	validate := func(fn func(*service.Answers)) func(string) error {
		return func(string) error {
			probe := service.Answers{Name: "x"}
			fn(&probe)
			return probe.Normalize()
		}
	}
	positive := func(s string) error {
		if v, err := strconv.ParseFloat(s, 64); err != nil || v <= 0 {
			return errors.New("a positive number")
		}
		return nil
	}
	form := huh.NewForm(
		huh.NewGroup(
			huh.NewInput().Title("Service name").Description("lower-case letters, digits and dashes").Value(&a.Name).
				Validate(func(s string) error { p := service.Answers{Name: s}; return p.Normalize() }),
			huh.NewInput().Title("Go module path").Description("empty for example.com/NAME").Value(&a.Module).
				Validate(validate(func(p *service.Answers) { p.Module = a.Module })),
			huh.NewMultiSelect[string]().Title("Protocols").Options(options(service.Protocols)...).Value(&a.Protocols).
				Validate(func(v []string) error {
					if len(v) == 0 {
						return errors.New("pick at least one")
					}
					return nil
				}),
			huh.NewSelect[string]().Title("Registry").Options(options(service.Registries)...).Value(&a.Registry),
		),
		huh.NewGroup(
			huh.NewSelect[string]().Title("Broker for the events protocol").Options(options(service.Brokers)...).Value(&a.Broker),
		).WithHideFunc(func() bool { return !slices.Contains(a.Protocols, "events") }),
		huh.NewGroup(
			huh.NewInput().Title("HTTP port").Value(&port).Validate(positive),
			huh.NewInput().Title("Requests per second per client").Value(&rate).Validate(positive),
			huh.NewInput().Title("Burst per client").Value(&burst).Validate(positive),
		),
	).WithInput(ios.In).WithOutput(ios.ErrOut).WithAccessible(accessible)
	if err := form.Run(); err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return a, exitcode.WithCode(exitcode.Interrupted)
		}
		return a, err
	}
	if !slices.Contains(a.Protocols, "events") {
		// A hidden select still holds its first option.
		a.Broker = ""
	}
	a.HTTPPort, _ = strconv.Atoi(port)
	a.RateLimit, _ = strconv.ParseFloat(rate, 64)
	a.RateBurst, _ = strconv.Atoi(burst)
	return a, nil
}
