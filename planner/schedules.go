package planner

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// scheduleChanges compares the schedule files each systemd and kubernetes
// cron block wants with the target's files found in its directory. A
// file the target would write that exists without redisplan's marker, or
// with the marker and another spec's owner line, stops the plan: it
// belongs to someone else. The second result is that error, empty when
// there is none.
//
// A file with the target's marker and no owner line was written by an
// older redisplan. It is adopted (rewritten with the owner line, or
// removed) only when it is provably this spec's: a systemd unit whose
// ExecStart= runs this spec, or a CronJob manifest that is, but for the
// owner line, what this spec renders (a manifest names no spec path). Any
// other such file is left alone, and stops the plan if this spec would
// write it.
func scheduleChanges(in Input) ([]model.FileChange, string) {
	var out []model.FileChange
	for _, want := range in.Schedules {
		var have model.ScheduleDir
		for _, d := range in.State.Schedules {
			if d.Dir == want.Dir && d.Kind == want.Kind {
				have = d
			}
		}
		wanted := map[string]string{}
		for _, f := range want.Files {
			wanted[f.Name] = f.Content
		}
		self := want.Owner
		ownerLine := self.Line()
		found := map[string]string{}
		notes := map[string]string{}
		for _, f := range have.Files {
			path := filepath.Join(want.Dir, f.Name)
			o, recorded := owner.Find(f.Content, 3)
			wantContent, isWanted := wanted[f.Name]
			switch {
			case recorded && !o.IsZero() && self.Claims(o):
				found[f.Name] = f.Content
			case !isWanted:
				// Another spec's, or not provably this one's, and not
				// in the way: left alone.
				if !recorded && legacyOurs(want.Kind, f.Content, self, "") {
					found[f.Name] = f.Content
				}
			case recorded && o.IsZero():
				return nil, fmt.Sprintf("%s has an owner line redisplan cannot read (edited by hand?), so it may be another spec's. %s",
					path, resolveFile(self))
			case recorded:
				return nil, fmt.Sprintf("%s belongs to %s, not to this spec (%s): applying would replace that server's scheduled jobs. %s",
					path, o, self.Spec, resolveFile(self))
			case legacyOurs(want.Kind, f.Content, self, strings.Replace(wantContent, ownerLine+"\n", "", 1)):
				found[f.Name] = f.Content
				notes[f.Name] = "adopted: the file has no owner line (an older redisplan wrote it) and " + map[string]string{
					"systemd":    "its ExecStart= runs this spec",
					"kubernetes": "is otherwise what this spec renders",
				}[want.Kind] + "; apply adds the owner line"
			default:
				why := "its ExecStart= does not run this spec (" + self.Spec + ")"
				if want.Kind == "kubernetes" {
					why = "it differs from what this spec renders (a manifest names no spec, so that is the only proof it is this spec's)"
				}
				return nil, fmt.Sprintf("%s has no owner line (an older redisplan wrote it) and %s: it may be another spec's, and applying would replace it. %s",
					path, why, resolveFile(self))
			}
		}
		for _, f := range want.Files {
			if slices.Contains(have.Others, f.Name) {
				return nil, fmt.Sprintf("%s exists and was not written by redisplan for redis.%s (it lacks the marker line); move it away or remove it, and plan again",
					filepath.Join(want.Dir, f.Name), in.Target.Name)
			}
			now, ok := found[f.Name]
			switch {
			case !ok:
				out = append(out, model.FileChange{Kind: want.Kind, Dir: want.Dir, Name: f.Name, Action: model.Create, Content: f.Content, Owner: ownerLine})
			case now != f.Content:
				out = append(out, model.FileChange{Kind: want.Kind, Dir: want.Dir, Name: f.Name, Action: model.Update, Content: f.Content, Owner: ownerLine,
					Diff: lineDiff(splitLines(now), splitLines(f.Content)), Note: notes[f.Name]})
			}
		}
		for _, f := range have.Files {
			if _, ok := found[f.Name]; ok {
				if _, isWanted := wanted[f.Name]; !isWanted {
					out = append(out, model.FileChange{Kind: want.Kind, Dir: want.Dir, Name: f.Name, Action: model.Delete, Owner: ownerLine})
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Dir != out[j].Dir {
			return out[i].Dir < out[j].Dir
		}
		return out[i].Name < out[j].Name
	})
	return out, ""
}

// legacyOurs reports whether a file without an owner line is provably this
// spec's: a systemd unit whose ExecStart= names this spec after -config
// (and this block has no id that would name its files otherwise), or a
// CronJob manifest equal to rendered, what this spec would write there
// without the owner line ("" when it would write nothing there: then
// nothing proves it).
func legacyOurs(kind, content string, self owner.Owner, rendered string) bool {
	switch kind {
	case "systemd":
		for _, l := range strings.Split(content, "\n") {
			if strings.HasPrefix(l, "ExecStart=") && mentionsPath(l, self.Spec) {
				return true
			}
		}
		return false
	case "kubernetes":
		return rendered != "" && content == rendered
	}
	return false
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// lineDiff returns the lines removed from a ("-") and added in b ("+"),
// in file order, from a longest common subsequence. Schedule files are
// a few dozen lines, so the quadratic table is small.
func lineDiff(a, b []string) []string {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out []string
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, "-"+a[i])
			i++
		default:
			out = append(out, "+"+b[j])
			j++
		}
	}
	return out
}
