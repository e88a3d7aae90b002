package planner

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// scheduleChanges compares the schedule files each systemd and kubernetes
// cron block wants with the target's files found in its directory. A
// file the target would write that exists without redisplan's marker
// stops the plan: it belongs to someone else. The second result is that
// error, empty when there is none.
func scheduleChanges(in Input) ([]FileChange, string) {
	var out []FileChange
	for _, want := range in.Schedules {
		var have ScheduleDir
		for _, d := range in.State.Schedules {
			if d.Dir == want.Dir && d.Kind == want.Kind {
				have = d
			}
		}
		found := map[string]string{}
		for _, f := range have.Files {
			found[f.Name] = f.Content
		}
		wanted := map[string]bool{}
		for _, f := range want.Files {
			wanted[f.Name] = true
			if slices.Contains(have.Others, f.Name) {
				return nil, fmt.Sprintf("%s exists and was not written by redisplan for redis.%s (it lacks the marker line); move it away or remove it, and plan again",
					filepath.Join(want.Dir, f.Name), in.Target.Name)
			}
			now, ok := found[f.Name]
			switch {
			case !ok:
				out = append(out, FileChange{Kind: want.Kind, Dir: want.Dir, Name: f.Name, Action: Create, Content: f.Content})
			case now != f.Content:
				out = append(out, FileChange{Kind: want.Kind, Dir: want.Dir, Name: f.Name, Action: Update, Content: f.Content,
					Diff: lineDiff(splitLines(now), splitLines(f.Content))})
			}
		}
		for _, f := range have.Files {
			if !wanted[f.Name] {
				out = append(out, FileChange{Kind: want.Kind, Dir: want.Dir, Name: f.Name, Action: Delete})
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
