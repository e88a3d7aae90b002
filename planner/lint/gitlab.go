package lint

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"path/filepath"
	"strconv"

	"github.com/redisplan/redisplan/internal/model"
)

// gitlabIssue is one issue of GitLab's Code Quality report (the subset of
// the Code Climate issue format GitLab reads): description, check_name,
// fingerprint, severity and location.path with location.lines.begin.
type gitlabIssue struct {
	Description string         `json:"description"`
	CheckName   string         `json:"check_name"`
	Fingerprint string         `json:"fingerprint"`
	Severity    string         `json:"severity"`
	Location    gitlabLocation `json:"location"`
}

type gitlabLocation struct {
	Path  string      `json:"path"`
	Lines gitlabLines `json:"lines"`
}

type gitlabLines struct {
	Begin int `json:"begin"`
}

// gitlabSeverities map a finding's severity onto GitLab's scale (info,
// minor, major, critical, blocker): an error, which fails validate and
// stops apply, is critical; a warning is major; a notice is info.
var gitlabSeverities = severityScale{
	model.SeverityNotice: "info", model.SeverityWarning: "major", model.SeverityError: "critical",
}

// WriteGitLab writes GitLab's Code Quality report: a JSON array with one
// issue per finding that is not suppressed (GitLab has no notion of a
// suppressed issue). GitLab wants paths relative to the repository, which
// is where CI jobs run: a finding's absolute path under base (the working
// directory) is written relative to it; fallback is the path of findings
// that have none (the spec). A finding without a line points at line 1.
//
// The fingerprint identifies the issue across commits, so that GitLab
// tells new issues from fixed ones in a merge request: a hash of the
// rule, target, file and message, without the line (editing above a
// finding does not make it new), and a counter for the same finding
// twice in one file.
func WriteGitLab(w io.Writer, fs []model.Finding, base, fallback string) error {
	out := []gitlabIssue{}
	seen := map[string]int{}
	for _, f := range fs {
		if f.Suppressed != "" {
			continue
		}
		path := f.Pos.Filename
		if path == "" {
			path = fallback
		}
		path = relativeTo(base, path)
		line := f.Pos.Line
		if line < 1 {
			line = 1
		}
		desc := f.Message
		if f.Target != "" {
			desc += " (" + f.Target + ")"
		}
		key := f.Code + "\x00" + f.Target + "\x00" + path + "\x00" + f.Message
		n := seen[key]
		seen[key]++
		sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(n)))
		out = append(out, gitlabIssue{
			Description: desc,
			CheckName:   f.Code,
			Fingerprint: hex.EncodeToString(sum[:16]),
			Severity:    gitlabSeverities.of(f.Severity),
			Location:    gitlabLocation{Path: path, Lines: gitlabLines{Begin: line}},
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// relativeTo writes an absolute path under base relative to it, with
// forward slashes; any other path is returned as it is.
func relativeTo(base, path string) string {
	if base == "" || !filepath.IsAbs(path) {
		return filepath.ToSlash(path)
	}
	rel, err := filepath.Rel(base, path)
	if err != nil || rel == ".." || len(rel) > 2 && rel[:3] == ".."+string(filepath.Separator) {
		return filepath.ToSlash(path)
	}
	return filepath.ToSlash(rel)
}
