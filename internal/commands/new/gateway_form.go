package new

import (
	"errors"
	"strconv"
	"strings"

	"github.com/charmbracelet/huh"

	"github.com/msctl/msctl/internal/exitcode"
	"github.com/msctl/msctl/internal/iostreams"
	"github.com/msctl/msctl/internal/scaffold/gateway"
)

// askGateway asks the questions of `msctl new gateway` in a terminal form.
// Each has a flag and an --answers key, so scripts never need the form.
func askGateway(ios *iostreams.IOStreams) (gateway.Answers, error) {
	var a gateway.Answers
	var routes, composites string
	rate, burst, port := "100", "50", "8080"
	a.Registry = "consul"
	check := func(fill func(*gateway.Answers)) func(string) error {
		return func(string) error {
			probe := gateway.Answers{Name: "x", Routes: []string{"/x=x"}}
			fill(&probe)
			return probe.Normalize()
		}
	}
	positive := func(s string) error {
		if v, err := strconv.ParseFloat(s, 64); err != nil || v <= 0 {
			return errors.New("a positive number")
		}
		return nil
	}
	registries := make([]huh.Option[string], len(gateway.Registries))
	for i, r := range gateway.Registries {
		registries[i] = huh.NewOption(r, r)
	}
	form := huh.NewForm(
		huh.NewGroup(
			huh.NewInput().Title("Gateway name").Description("lower-case letters, digits and dashes").Value(&a.Name).
				Validate(check(func(p *gateway.Answers) { p.Name = a.Name })),
			huh.NewInput().Title("Go module path").Description("empty for example.com/NAME").Value(&a.Module).
				Validate(check(func(p *gateway.Answers) { p.Module = a.Module })),
			huh.NewSelect[string]().Title("Registry").Options(registries...).Value(&a.Registry),
			huh.NewInput().Title("Routes").Description("PREFIX=SERVICE[/PATH], separated by spaces: /orders=orders /users=users").Value(&routes).
				Validate(func(s string) error {
					if len(strings.Fields(s)) == 0 {
						return errors.New("at least one route")
					}
					return check(func(p *gateway.Answers) { p.Routes = strings.Fields(s) })(s)
				}),
			huh.NewInput().Title("Composite routes (optional)").Description("PATH=[KEY:]SERVICE/PATH,..., separated by spaces").Value(&composites).
				Validate(func(s string) error { return check(func(p *gateway.Answers) { p.Composites = strings.Fields(s) })(s) }),
		),
		huh.NewGroup(
			huh.NewInput().Title("HTTP port").Value(&port).Validate(positive),
			huh.NewInput().Title("Requests per second per client").Value(&rate).Validate(positive),
			huh.NewInput().Title("Burst per client").Value(&burst).Validate(positive),
		),
	).WithInput(ios.In).WithOutput(ios.ErrOut)
	if err := form.Run(); err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return a, exitcode.WithCode(exitcode.Interrupted)
		}
		return a, err
	}
	a.Routes, a.Composites = strings.Fields(routes), strings.Fields(composites)
	a.HTTPPort, _ = strconv.Atoi(port)
	a.RateLimit, _ = strconv.ParseFloat(rate, 64)
	a.RateBurst, _ = strconv.Atoi(burst)
	return a, nil
}
