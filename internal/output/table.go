package output

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"

	"github.com/msctl/msctl/internal/iostreams"
)

// Table is rows of text under headers. Cells that name a health or result
// state (passing, warning, critical, ...) are colored on a terminal.
type Table struct {
	Headers []string
	Rows    [][]string
	// NoStateColor turns off coloring of state words, for tables whose
	// cells happen to contain them with another meaning.
	NoStateColor bool
}

// NewTable starts a table with the given headers.
func NewTable(headers ...string) *Table { return &Table{Headers: headers} }

// AddRow appends a row; values are formatted with %v.
func (t *Table) AddRow(cells ...any) {
	row := make([]string, len(cells))
	for i, c := range cells {
		row[i] = fmt.Sprint(c)
	}
	t.Rows = append(t.Rows, row)
}

// minColumn is the narrowest a column is squeezed to when fitting a table to
// the terminal; below this a value stops being recognisable.
const minColumn = 6

// fit truncates the widest columns until the table fits in width (counting
// the separators sep adds between columns). Width 0 means no limit.
func fit(headers []string, rows [][]string, width, sep int) []int {
	n := len(headers)
	widths := make([]int, n)
	measure := func(r []string) {
		for i := 0; i < n && i < len(r); i++ {
			if w := lipgloss.Width(r[i]); w > widths[i] {
				widths[i] = w
			}
		}
	}
	measure(headers)
	for _, r := range rows {
		measure(r)
	}
	if width <= 0 {
		return widths
	}
	total := func() int {
		s := sep * (n - 1)
		for _, w := range widths {
			s += w
		}
		return s
	}
	for total() > width {
		// Shrink the widest column by one; stop when nothing can shrink.
		widest := -1
		for i, w := range widths {
			if w > minColumn && (widest < 0 || w > widths[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			break
		}
		widths[widest]--
	}
	return widths
}

// truncate shortens s to at most w display columns, ending with an ellipsis
// when something was cut.
func truncate(s string, w int) string {
	if lipgloss.Width(s) <= w {
		return s
	}
	if w <= 1 {
		return "…"
	}
	var b strings.Builder
	used := 0
	for _, r := range s {
		rw := lipgloss.Width(string(r))
		if used+rw > w-1 {
			break
		}
		b.WriteRune(r)
		used += rw
	}
	b.WriteString("…")
	return b.String()
}

// Render writes the table: styled when stdout is a terminal with color on,
// plain aligned columns otherwise. Either way it is fitted to the terminal
// width when one is known.
func (t *Table) Render(ios *iostreams.IOStreams) error {
	// Multi-line cells (check output, errors) are flattened before they are
	// measured, so that widths match what is printed.
	for _, row := range t.Rows {
		for i, c := range row {
			if strings.ContainsAny(c, "\r\n\t") {
				row[i] = strings.Join(strings.Fields(c), " ")
			}
		}
	}
	if ios.ColorEnabled() {
		return t.renderStyled(ios.Out, ios.TerminalWidth())
	}
	return t.renderPlain(ios.Out, ios.TerminalWidth())
}

func (t *Table) cells(widths []int) ([]string, [][]string) {
	h := make([]string, len(t.Headers))
	for i, s := range t.Headers {
		h[i] = truncate(s, widths[i])
	}
	rows := make([][]string, len(t.Rows))
	for r, row := range t.Rows {
		out := make([]string, len(t.Headers))
		for i := range t.Headers {
			if i < len(row) {
				out[i] = truncate(row[i], widths[i])
			}
		}
		rows[r] = out
	}
	return h, rows
}

func (t *Table) renderPlain(w io.Writer, width int) error {
	const gap = 2
	widths := fit(t.Headers, t.Rows, width, gap)
	h, rows := t.cells(widths)
	var b strings.Builder
	line := func(cells []string) {
		for i, c := range cells {
			b.WriteString(c)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+gap))
			}
		}
		// Trailing spaces from empty last cells are noise in golden files.
		s := strings.TrimRight(b.String(), " ")
		b.Reset()
		fmt.Fprintln(w, s)
	}
	line(upper(h))
	for _, r := range rows {
		line(r)
	}
	return nil
}

func upper(h []string) []string {
	out := make([]string, len(h))
	for i, s := range h {
		out[i] = strings.ToUpper(s)
	}
	return out
}

var (
	headerStyle = lipgloss.NewStyle().Bold(true).Foreground(lipgloss.Color("12")).PaddingRight(2)
	cellStyle   = lipgloss.NewStyle().PaddingRight(2)
)

func (t *Table) renderStyled(w io.Writer, width int) error {
	const gap = 2
	widths := fit(t.Headers, t.Rows, width, gap)
	h, rows := t.cells(widths)
	tbl := table.New().
		Border(lipgloss.HiddenBorder()).
		BorderTop(false).BorderBottom(false).BorderLeft(false).BorderRight(false).
		BorderColumn(false).BorderHeader(false).
		Headers(upper(h)...).
		Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			if row == table.HeaderRow {
				if col == len(h)-1 {
					return headerStyle.PaddingRight(0)
				}
				return headerStyle
			}
			cellStyle := cellStyle
			if col == len(h)-1 {
				cellStyle = cellStyle.PaddingRight(0)
			}
			if !t.NoStateColor && row >= 0 && row < len(rows) && col < len(rows[row]) {
				if c, ok := StateColor(rows[row][col]); ok {
					return cellStyle.Foreground(c)
				}
			}
			return cellStyle
		})
	_, err := fmt.Fprintln(w, tbl.Render())
	return err
}

// StateColor returns the color for a state word (health, result, finding
// severity), and whether the word is one.
func StateColor(s string) (lipgloss.Color, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "passing", "healthy", "ok", "alive", "up", "ready", "serving", "pass", "safe", "compatible":
		return lipgloss.Color("10"), true
	case "warning", "warn", "degraded", "suspect", "dangerous", "throttled", "leaving":
		return lipgloss.Color("11"), true
	case "critical", "failed", "fail", "down", "unhealthy", "error", "left", "breaking", "not_serving", "terminating":
		return lipgloss.Color("9"), true
	}
	return "", false
}

// Style is a small set of lipgloss styles for commands that print prose
// (reports, findings) rather than tables. Every method returns s unchanged
// when color is off, so callers need not check.
type Style struct{ on bool }

// NewStyle returns styles for stdout of ios.
func NewStyle(ios *iostreams.IOStreams) Style { return Style{on: ios.ColorEnabled()} }

// NewStderrStyle returns styles for stderr of ios.
func NewStderrStyle(ios *iostreams.IOStreams) Style { return Style{on: ios.ColorEnabledStderr()} }

func (st Style) render(c lipgloss.Color, bold bool, s string) string {
	if !st.on {
		return s
	}
	return lipgloss.NewStyle().Foreground(c).Bold(bold).Render(s)
}

// Bold makes s bold.
func (st Style) Bold(s string) string {
	if !st.on {
		return s
	}
	return lipgloss.NewStyle().Bold(true).Render(s)
}

// Green is for success.
func (st Style) Green(s string) string { return st.render("10", false, s) }

// Yellow is for warnings.
func (st Style) Yellow(s string) string { return st.render("11", false, s) }

// Red is for failures.
func (st Style) Red(s string) string { return st.render("9", false, s) }

// Faint is for secondary detail.
func (st Style) Faint(s string) string { return st.render("8", false, s) }

// State colors s by the state word it is.
func (st Style) State(s string) string {
	if c, ok := StateColor(s); ok {
		return st.render(c, false, s)
	}
	return s
}
