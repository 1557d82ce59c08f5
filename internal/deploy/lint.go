package deploy

// Finding is a trap lint found in a plan.
type Finding struct {
	// Severity is info, warning or error.
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	// Why explains the trap and what to do.
	Why  string `json:"why"`
	Step int    `json:"step,omitempty"`
}

// Lint finds the known traps in a plan.
func Lint(p *Plan) []Finding {
	return []Finding{}
}

var severityRank = map[string]int{"info": 1, "warning": 2, "error": 3, "never": 99}

// AtOrAbove reports whether any finding is at or above severity.
func AtOrAbove(fs []Finding, severity string) bool {
	for _, f := range fs {
		if severityRank[f.Severity] >= severityRank[severity] {
			return true
		}
	}
	return false
}
