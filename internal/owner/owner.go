// Package owner names the spec that a managed crontab block or schedule
// file belongs to, and reads and writes the comment line that records it.
//
// Two specs can have targets of the same name (every spec's first server
// is "main"), and their crontab blocks or unit files would then have the
// same name too. The owner line tells them apart: a block or file is
// rewritten or removed only by the spec it names.
package owner

import (
	"bufio"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Owner is who wrote a block or file: the cron block's id when the spec
// sets one, otherwise the absolute path of the spec and the target.
type Owner struct {
	// ID is the cron block's id. When set, it alone identifies the owner,
	// so that the spec can move; Spec and Target are recorded to be shown.
	ID     string `json:"id,omitempty"`
	Spec   string `json:"spec"`
	Target string `json:"target"`
}

// prefix starts the owner line. Crontabs, unit files and YAML all read
// '#' as a comment.
const prefix = "# redisplan owner: "

// IsZero reports whether o names no owner (a block or file that an older
// redisplan wrote without an owner line).
func (o Owner) IsZero() bool { return o == Owner{} }

// Same reports whether o and p are the same owner: the same id when
// either has one, otherwise the same spec and target.
func (o Owner) Same(p Owner) bool {
	if o.ID != "" || p.ID != "" {
		return o.ID == p.ID
	}
	return o.Spec == p.Spec && o.Target == p.Target
}

// Claims reports whether o may rewrite or remove a block or file whose
// owner line records p: the same owner, or the same spec and target where
// one of the two has no id (the spec added or dropped its cron block's id
// since it wrote it).
func (o Owner) Claims(p Owner) bool {
	if o.Same(p) {
		return true
	}
	if o.ID != "" && p.ID != "" || o.Spec == "" || o.Target != p.Target {
		return false
	}
	// A spec now named by its file claims what the same spec wrote when
	// it was named by its directory (-config DIR, before a directory of
	// one spec file was named by that file).
	return o.Spec == p.Spec || filepath.Ext(o.Spec) == ".hcl" && filepath.Dir(o.Spec) == p.Spec
}

// Line is the comment line that records o.
func (o Owner) Line() string {
	if o.ID != "" {
		return fmt.Sprintf("%sid %s (spec %s, target %s)", prefix, strconv.Quote(o.ID), strconv.Quote(o.Spec), strconv.Quote(o.Target))
	}
	return fmt.Sprintf("%sspec %s, target %s", prefix, strconv.Quote(o.Spec), strconv.Quote(o.Target))
}

// String describes o for a person: `cron id "a" (spec /srv/a/redis.hcl,
// target "main")` or `spec /srv/a/redis.hcl, target "main"`.
func (o Owner) String() string {
	s := fmt.Sprintf("spec %s, target %s", o.Spec, strconv.Quote(o.Target))
	if o.ID != "" {
		return fmt.Sprintf("cron id %s (%s)", strconv.Quote(o.ID), s)
	}
	return s
}

// Parse reads an owner line. It returns false for any other line, and for
// an owner line that does not parse (edited by hand).
func Parse(line string) (Owner, bool) {
	rest, ok := strings.CutPrefix(strings.TrimRight(line, "\r"), prefix)
	if !ok {
		return Owner{}, false
	}
	var o Owner
	if r, ok := strings.CutPrefix(rest, "id "); ok {
		id, r, ok := quoted(r)
		if !ok || id == "" {
			return Owner{}, false
		}
		o.ID = id
		if rest, ok = strings.CutPrefix(r, " ("); !ok {
			return Owner{}, false
		}
		if rest, ok = strings.CutSuffix(rest, ")"); !ok {
			return Owner{}, false
		}
	}
	r, ok := strings.CutPrefix(rest, "spec ")
	if !ok {
		return Owner{}, false
	}
	if o.Spec, r, ok = quoted(r); !ok {
		return Owner{}, false
	}
	if r, ok = strings.CutPrefix(r, ", target "); !ok {
		return Owner{}, false
	}
	if o.Target, r, ok = quoted(r); !ok || r != "" {
		return Owner{}, false
	}
	return o, true
}

// quoted reads a Go-quoted string at the start of s.
func quoted(s string) (string, string, bool) {
	q, err := strconv.QuotedPrefix(s)
	if err != nil {
		return "", s, false
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return "", s, false
	}
	return v, s[len(q):], true
}

// FindLines returns the owner recorded in lines (a crontab block), and
// whether there is an owner line at all. An owner line that does not parse
// gives the zero Owner and true: something is recorded, but not whose.
func FindLines(lines []string) (Owner, bool) {
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			o, _ := Parse(l)
			return o, true
		}
	}
	return Owner{}, false
}

// Find returns the owner recorded in the first lines of a file's content,
// as FindLines does.
func Find(content string, first int) (Owner, bool) {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(content))
	for i := 0; i < first && sc.Scan(); i++ {
		lines = append(lines, strings.TrimRight(sc.Text(), "\r"))
	}
	return FindLines(lines)
}
