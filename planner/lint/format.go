package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/units"
)

// The writers render findings as they are given: Run and Apply already
// sort them. Suppressed findings are kept apart (text, markdown), marked
// (JSON, SARIF) or left out (GitHub).

// Summary counts the findings that are not suppressed, by severity, and
// the suppressed ones.
type Summary struct {
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Notices    int `json:"notices"`
	Suppressed int `json:"suppressed"`
}

// Summarize counts fs.
func Summarize(fs []model.Finding) Summary {
	var s Summary
	for _, f := range fs {
		switch {
		case f.Suppressed != "":
			s.Suppressed++
		case f.Severity == model.SeverityError:
			s.Errors++
		case f.Severity == model.SeverityWarning:
			s.Warnings++
		default:
			s.Notices++
		}
	}
	return s
}

// String is the summary line: "2 errors, 1 warning, 1 notice (1 suppressed)".
func (s Summary) String() string {
	out := fmt.Sprintf("%s, %s, %s", units.Plural(s.Errors, "error", "errors"), units.Plural(s.Warnings, "warning", "warnings"), units.Plural(s.Notices, "notice", "notices"))
	if s.Suppressed > 0 {
		out += fmt.Sprintf(" (%d suppressed)", s.Suppressed)
	}
	return out
}

// location is file:line:col, or as much of it as is known.
func location(f model.Finding) string {
	p := f.Pos
	switch {
	case p.Filename == "":
		return ""
	case p.Line == 0:
		return p.Filename
	case p.Column == 0:
		return fmt.Sprintf("%s:%d", p.Filename, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

const (
	ansiReset = "\x1b[0m"
	ansiDim   = "\x1b[2m"
)

var severityColors = [...]string{model.SeverityNotice: "\x1b[1;36m", model.SeverityWarning: "\x1b[1;33m", model.SeverityError: "\x1b[1;31m"}

// WriteText writes one finding per line, "file:line:col: severity CODE:
// message (target)", with its fix on the next line; then the suppressed
// findings, dimmed, each with its reason; then the summary line.
func WriteText(w io.Writer, fs []model.Finding, color bool) {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return code + s + ansiReset
	}
	line := func(f model.Finding) string {
		var b strings.Builder
		if loc := location(f); loc != "" {
			b.WriteString(loc + ": ")
		}
		b.WriteString(f.Severity.String() + " " + f.Code + ": " + strings.ReplaceAll(f.Message, "\n", "\n    "))
		if f.Target != "" {
			b.WriteString(" (" + f.Target + ")")
		}
		return b.String()
	}
	var suppressed []model.Finding
	for _, f := range fs {
		if f.Suppressed != "" {
			suppressed = append(suppressed, f)
			continue
		}
		head := line(f)
		if color {
			label := f.Severity.String() + " " + f.Code
			head = strings.Replace(head, label, paint(severityColors[f.Severity], label), 1)
		}
		fmt.Fprintln(w, head)
		if f.Fix != "" {
			fmt.Fprintln(w, "    fix: "+f.Fix)
		}
	}
	if len(suppressed) > 0 {
		if len(suppressed) < len(fs) {
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w, paint(ansiDim, "Suppressed:"))
		for _, f := range suppressed {
			fmt.Fprintln(w, paint(ansiDim, line(f)))
			fmt.Fprintln(w, paint(ansiDim, "    reason: "+f.Suppressed))
		}
	}
	if len(fs) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, Summarize(fs).String())
}

// FormatVersion is the version of the JSON document WriteJSON writes (and
// of the findings shape that validate -json and plan -json embed). Fields
// are only added under the same major version; 1.1 added range (the shape
// validate -json's diagnostics have) and made target always present.
const FormatVersion = "1.1"

// jsonPos is the position of format 1.0, kept as pos until format 2.
type jsonPos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// JSONRange is a place in a spec file, in the one shape every JSON
// document of redisplan gives positions in: validate -json's diagnostics
// and every finding. A finding knows a point (start); a diagnostic knows
// its range (start and end, with byte offsets).
type JSONRange struct {
	Filename string          `json:"filename"`
	Start    JSONRangePoint  `json:"start"`
	End      *JSONRangePoint `json:"end,omitempty"`
}

// JSONRangePoint is one end of a JSONRange: line and column from 1, and
// the byte offset from 0 when it is known (diagnostics).
type JSONRangePoint struct {
	Line   int  `json:"line"`
	Column int  `json:"column"`
	Byte   *int `json:"byte,omitempty"`
}

type jsonFinding struct {
	Code     string         `json:"code"`
	Severity model.Severity `json:"severity"`
	// Target is "" for a finding on the spec as a whole.
	Target  string     `json:"target"`
	Message string     `json:"message"`
	Range   *JSONRange `json:"range,omitempty"`
	// Pos is Range in format 1.0's shape, deprecated: it goes in format 2.
	Pos        *jsonPos `json:"pos,omitempty"`
	Doc        string   `json:"doc,omitempty"`
	Fix        string   `json:"fix,omitempty"`
	Suppressed string   `json:"suppressed,omitempty"`
}

type jsonReport struct {
	FormatVersion string        `json:"format_version"`
	Findings      []jsonFinding `json:"findings"`
	Summary       Summary       `json:"summary"`
}

// WriteJSON writes {"format_version":"1.1","findings":[...],"summary":{...}}.
// Each finding has code, severity, target, message, range {filename,
// start {line, column}} (and pos, its deprecated 1.0 form), doc, fix and,
// when silenced, suppressed (the reason). docs/json.md describes it.
func WriteJSON(w io.Writer, fs []model.Finding) error {
	return encodeJSON(w, jsonReport{FormatVersion: FormatVersion, Findings: jsonFindings(fs), Summary: Summarize(fs)}, "json")
}

// FindingList names findings in one line: "RP010 on redis.main, ...".
func FindingList(fs []model.Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.Code
		if f.Target != "" {
			parts[i] += " on redis." + f.Target
		}
	}
	return strings.Join(parts, ", ")
}

// FindingsJSON is the "findings" array of WriteJSON's report, for other
// documents that show findings in the same shape (validate -json, plan
// -json).
func FindingsJSON(fs []model.Finding) json.RawMessage {
	b, err := json.Marshal(jsonFindings(fs))
	if err != nil {
		return json.RawMessage("[]")
	}
	return b
}

func jsonFindings(fs []model.Finding) []jsonFinding {
	out := []jsonFinding{}
	for _, f := range fs {
		jf := jsonFinding{Code: f.Code, Severity: f.Severity, Target: f.Target, Message: f.Message, Doc: f.Doc, Fix: f.Fix, Suppressed: f.Suppressed}
		if f.Pos.Filename != "" {
			jf.Range = &JSONRange{Filename: f.Pos.Filename, Start: JSONRangePoint{Line: f.Pos.Line, Column: f.Pos.Column}}
			jf.Pos = &jsonPos{File: f.Pos.Filename, Line: f.Pos.Line, Column: f.Pos.Column}
		}
		out = append(out, jf)
	}
	return out
}

// WriteGitHub writes one GitHub Actions workflow command per finding that
// is not suppressed, which the runner turns into an annotation on the
// pull request: ::error file=F,line=L,col=C,title=RP002::message.
func WriteGitHub(w io.Writer, fs []model.Finding) {
	for _, f := range fs {
		if f.Suppressed != "" {
			continue
		}
		var props []string
		if f.Pos.Filename != "" {
			props = append(props, "file="+escapeProperty(f.Pos.Filename))
			if f.Pos.Line > 0 {
				props = append(props, "line="+strconv.Itoa(f.Pos.Line))
			}
			if f.Pos.Column > 0 {
				props = append(props, "col="+strconv.Itoa(f.Pos.Column))
			}
		}
		props = append(props, "title="+escapeProperty(f.Code))
		msg := f.Message
		if f.Target != "" {
			msg += " (" + f.Target + ")"
		}
		if f.Fix != "" {
			msg += "\nFix: " + f.Fix
		}
		fmt.Fprintf(w, "::%s %s::%s\n", f.Severity, strings.Join(props, ","), escapeData(msg))
	}
}

// escapeData escapes a workflow command's message as the Actions runner
// unescapes it.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a workflow command's property value, where ","
// and ":" would end it.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// The SARIF 2.1.0 subset WriteSARIF emits.
const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	projectURI   = "https://github.com/redisplan/redisplan"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID       string             `json:"ruleId"`
	RuleIndex    int                `json:"ruleIndex"`
	Level        string             `json:"level"`
	Message      sarifText          `json:"message"`
	Locations    []sarifLocation    `json:"locations,omitempty"`
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation `json:"physicalLocation"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           *sarifRegion          `json:"region,omitempty"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

// severityScale names the severities in a report format's own words,
// indexed by model.Severity.
type severityScale [3]string

// of is s in the scale's words; a severity the scale does not know reads
// as a notice.
func (sc severityScale) of(s model.Severity) string {
	if s < 0 || int(s) >= len(sc) {
		s = model.SeverityNotice
	}
	return sc[s]
}

// sarifLevels are SARIF's result levels.
var sarifLevels = severityScale{
	model.SeverityNotice: "note", model.SeverityWarning: "warning", model.SeverityError: "error",
}

// ruleName turns a title into the PascalCase identifier SARIF viewers
// show as a rule's name: "CONFIG disabled" gives ConfigDisabled.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w = strings.ToLower(w)
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// suppressionTitle is the title of RP000.
const suppressionTitle = "Ignore without reason, expired or malformed"

// WriteSARIF writes a SARIF 2.1.0 log with one run: the driver lists
// RP000 and every built-in rule, then any other code the findings use (a
// user policy); each finding is a result pointing at its rule, and a
// suppressed one carries an external suppression with its reason.
func WriteSARIF(w io.Writer, fs []model.Finding, toolVersion string) error {
	rules := []sarifRule{{
		ID: SuppressionCode, Name: ruleName(suppressionTitle), ShortDescription: sarifText{suppressionTitle},
		HelpURI: projectURI + "/blob/main/" + DocPath(SuppressionCode), DefaultConfiguration: sarifConfiguration{"error"},
	}}
	for _, r := range Rules() {
		rules = append(rules, sarifRule{
			ID: r.Code, Name: ruleName(r.Title), ShortDescription: sarifText{r.Title},
			HelpURI: projectURI + "/blob/main/" + DocPath(r.Code), DefaultConfiguration: sarifConfiguration{sarifLevels.of(r.Severity)},
		})
	}
	index := map[string]int{}
	for i, r := range rules {
		index[r.ID] = i
	}
	var extra []model.Finding
	for _, f := range fs {
		if _, ok := index[f.Code]; !ok && !slices.ContainsFunc(extra, func(e model.Finding) bool { return e.Code == f.Code }) {
			extra = append(extra, f)
		}
	}
	slices.SortFunc(extra, func(a, b model.Finding) int { return strings.Compare(a.Code, b.Code) })
	for _, f := range extra {
		index[f.Code] = len(rules)
		rules = append(rules, sarifRule{
			ID: f.Code, Name: f.Code, ShortDescription: sarifText{"Policy " + f.Code},
			DefaultConfiguration: sarifConfiguration{sarifLevels.of(f.Severity)},
		})
	}

	results := []sarifResult{}
	for _, f := range fs {
		text := f.Message
		if f.Target != "" {
			text += " (" + f.Target + ")"
		}
		if f.Fix != "" {
			text += ". Fix: " + f.Fix
		}
		res := sarifResult{RuleID: f.Code, RuleIndex: index[f.Code], Level: sarifLevels.of(f.Severity), Message: sarifText{text}}
		if f.Pos.Filename != "" {
			loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: sarifArtifactLocation{URI: sarifURI(f.Pos.Filename)}}}
			if f.Pos.Line > 0 {
				loc.PhysicalLocation.Region = &sarifRegion{StartLine: f.Pos.Line, StartColumn: f.Pos.Column}
			}
			res.Locations = []sarifLocation{loc}
		}
		if f.Suppressed != "" {
			res.Suppressions = []sarifSuppression{{Kind: "external", Justification: f.Suppressed}}
		}
		results = append(results, res)
	}

	log := sarifLog{
		Schema:  sarifSchema,
		Version: sarifVersion,
		Runs: []sarifRun{{
			Tool:    sarifTool{Driver: sarifDriver{Name: "redisplan", Version: toolVersion, InformationURI: projectURI, Rules: rules}},
			Results: results,
		}},
	}
	return encodeJSON(w, log, "sarif")
}

// sarifURI makes a relative file name a relative URI reference: forward
// slashes, and no "./" prefix.
func sarifURI(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	return strings.TrimPrefix(name, "./")
}

// MarkdownMarker is the first line of WriteMarkdown's output, so that a CI
// job can find and update its earlier pull-request comment.
const MarkdownMarker = "<!-- redisplan lint -->"

// WriteMarkdown writes a pull-request comment: the marker line, a table of
// counts by severity, a table of the findings, and the suppressed ones in
// a collapsed section.
func WriteMarkdown(w io.Writer, fs []model.Finding) {
	s := Summarize(fs)
	fmt.Fprintln(w, MarkdownMarker)
	fmt.Fprintln(w, "### redisplan lint")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| severity | findings |")
	fmt.Fprintln(w, "|---|---:|")
	fmt.Fprintf(w, "| error | %d |\n", s.Errors)
	fmt.Fprintf(w, "| warning | %d |\n", s.Warnings)
	fmt.Fprintf(w, "| notice | %d |\n", s.Notices)
	fmt.Fprintf(w, "| suppressed | %d |\n", s.Suppressed)

	var active, suppressed []model.Finding
	for _, f := range fs {
		if f.Suppressed != "" {
			suppressed = append(suppressed, f)
		} else {
			active = append(active, f)
		}
	}
	fmt.Fprintln(w)
	if len(active) == 0 {
		fmt.Fprintln(w, "No findings.")
	} else {
		fmt.Fprintln(w, "| severity | code | target | location | message |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, f := range active {
			msg := mdCell(f.Message)
			if f.Fix != "" {
				msg += "<br>**Fix:** " + mdCell(f.Fix)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", f.Severity, mdCode(f), mdCell(f.Target), mdLocation(f), msg)
		}
	}
	if len(suppressed) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintf(w, "<details><summary>%d suppressed</summary>\n\n", len(suppressed))
		fmt.Fprintln(w, "| severity | code | target | location | message | reason |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|")
		for _, f := range suppressed {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", f.Severity, mdCode(f), mdCell(f.Target), mdLocation(f), mdCell(f.Message), mdCell(f.Suppressed))
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, "</details>")
	}
}

func mdCode(f model.Finding) string {
	if f.Doc == "" {
		return mdCell(f.Code)
	}
	return fmt.Sprintf("[%s](%s)", mdCell(f.Code), f.Doc)
}

func mdLocation(f model.Finding) string {
	p := f.Pos
	if p.Filename == "" {
		return ""
	}
	name := strings.ReplaceAll(p.Filename, "|", `\|`)
	if p.Line == 0 {
		return "`" + name + "`"
	}
	return fmt.Sprintf("`%s:%d`", name, p.Line)
}

// mdCell keeps a value inside its table cell and shows it as written:
// pipes and emphasis escaped, HTML characters as entities, line breaks as
// <br>.
func mdCell(s string) string {
	return strings.NewReplacer(
		"|", `\|`, "*", `\*`, "&", "&amp;", "<", "&lt;", ">", "&gt;",
		"\r\n", "<br>", "\n", "<br>", "\r", "<br>",
	).Replace(s)
}

// encodeJSON writes v as indented JSON, with <, > and & as they are.
func encodeJSON(w io.Writer, v any, format string) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write lint %s: %w", format, err)
	}
	return nil
}
