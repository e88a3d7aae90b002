package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/server/servertest"
)

// The plan benchmarks time the whole process, as a person or a CI job
// runs it: exec of the built binary, spec load, inspection over loopback,
// diff, output. Each reports the median as well as Go's mean.
// Run them with: make bench.

func buildBinary(b *testing.B) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "redisplan")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// benchDirectives are ten directives a typical spec manages.
const benchDirectives = `  persistence {
    aof {
      enabled = false
      fsync   = "everysec"
    }
    rdb {
      snapshot {
        after   = "1h"
        changes = 1
      }
      compression = true
    }
  }
  memory {
    max    = "256mb"
    policy = "allkeys-lru"
    lazyfree {
      eviction = true
      expire   = true
    }
  }
  monitoring {
    slowlog_threshold = "10ms"
    keyspace_events   = "Ex"
  }
`

func timeRuns(b *testing.B, run func() error) {
	b.Helper()
	var samples []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if err := run(); err != nil {
			b.Fatal(err)
		}
		samples = append(samples, time.Since(start))
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	b.ReportMetric(float64(samples[len(samples)/2].Microseconds())/1000, "ms-median")
}

func planCommand(bin, spec string) func() error {
	return func() error {
		cmd := exec.Command(bin, "plan", "-no-color", "-config", spec)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("plan: %v\n%s", err, out)
		}
		return nil
	}
}

func BenchmarkPlanOneTarget(b *testing.B) {
	bin := buildBinary(b)
	srv := servertest.Start(b, servertest.Options{})
	spec := filepath.Join(b.TempDir(), "spec.hcl")
	text := fmt.Sprintf("redis \"main\" {\n  address     = %q\n  config_file = %q\n%s}\n", srv.Addr(), srv.ConfigPath(), benchDirectives)
	if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	timeRuns(b, planCommand(bin, spec))
}

// BenchmarkRedisCLIOneTarget is the hand-made alternative measured beside
// redisplan: a shell loop asking redis-cli for the same ten directives
// and diffing against the wanted values, which is what an operator's
// check script does (and it still knows nothing about the file, units or
// restarts).
func BenchmarkRedisCLIOneTarget(b *testing.B) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		b.Skip("redis-cli not installed")
	}
	srv := servertest.Start(b, servertest.Options{})
	want := filepath.Join(b.TempDir(), "want")
	directives := []string{"appendonly", "appendfsync", "save", "rdbcompression", "maxmemory", "maxmemory-policy",
		"lazyfree-lazy-eviction", "lazyfree-lazy-expire", "slowlog-log-slower-than", "notify-keyspace-events"}
	os.WriteFile(want, []byte("appendonly\nno\n"), 0o644)
	script := fmt.Sprintf(`for d in %s; do redis-cli -p %d config get "$d"; done > %s.got; diff -q %s %s.got >/dev/null; true`,
		strings.Join(directives, " "), srv.Port(), want, want, want)
	timeRuns(b, func() error {
		out, err := exec.Command("sh", "-c", script).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	})
}

// BenchmarkPlanFleet plans fleets of 1, 10 and 100 targets spread over 4
// servers: each target is inspected over its own connection, 10 at a
// time. It shows how plan time grows with the fleet.
func BenchmarkPlanFleet(b *testing.B) {
	bin := buildBinary(b)
	var addrs []string
	for i := 0; i < 4; i++ {
		addrs = append(addrs, servertest.Start(b, servertest.Options{}).Addr())
	}
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			var entries []string
			for i := 0; i < n; i++ {
				entries = append(entries, fmt.Sprintf("    t%03d = %q", i, addrs[i%len(addrs)]))
			}
			spec := filepath.Join(b.TempDir(), "fleet.hcl")
			text := fmt.Sprintf("redis \"fleet\" {\n  for_each = {\n%s\n  }\n  address = each.value\n%s}\n", strings.Join(entries, "\n"), benchDirectives)
			if err := os.WriteFile(spec, []byte(text), 0o644); err != nil {
				b.Fatal(err)
			}
			timeRuns(b, planCommand(bin, spec))
		})
	}
}

// BenchmarkAnsibleOneTarget is the Ansible alternative measured beside
// redisplan: ansible-playbook in check mode with --diff, local connection,
// templating the target's redis.conf with the same ten directives and
// comparing each with the live server (testdata/bench/ansible/check.yml).
// It needs Debian's ansible and python3-redis (scripts/install-deps.sh
// --bench) and nothing from the network.
func BenchmarkAnsibleOneTarget(b *testing.B) {
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		b.Skip("ansible-playbook not installed (scripts/install-deps.sh --bench)")
	}
	playbook, err := filepath.Abs(filepath.Join("..", "..", "testdata", "bench", "ansible", "check.yml"))
	if err != nil {
		b.Fatal(err)
	}
	srv := servertest.Start(b, servertest.Options{})
	home := b.TempDir() // ansible's own temp and cache files, not the user's
	timeRuns(b, func() error {
		cmd := exec.Command("ansible-playbook", "-i", "localhost,", "-c", "local", "--check", "--diff",
			"-e", fmt.Sprintf("redis_port=%d", srv.Port()), "-e", "redis_conf="+srv.ConfigPath(), playbook)
		cmd.Env = append(os.Environ(), "ANSIBLE_LOCAL_TEMP="+filepath.Join(home, "local"), "ANSIBLE_REMOTE_TEMP="+filepath.Join(home, "remote"), "ANSIBLE_NOCOLOR=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("ansible-playbook: %v\n%s", err, out)
		}
		// Both tasks must have run on the host: a playbook that skipped
		// them would be timed doing nothing.
		recap, err := parseAnsibleRecap(out)
		if err != nil {
			return fmt.Errorf("%v\n%s", err, out)
		}
		if recap["ok"] != 2 || recap["failed"] != 0 || recap["unreachable"] != 0 {
			return fmt.Errorf("ansible-playbook: want ok=2 failed=0 unreachable=0 in the recap, got %v\n%s", recap, out)
		}
		return nil
	})
}

// parseAnsibleRecap reads the counters (ok, changed, failed, ...) of the
// one host in ansible-playbook's PLAY RECAP.
func parseAnsibleRecap(out []byte) (map[string]int, error) {
	_, after, found := strings.Cut(string(out), "PLAY RECAP")
	if !found {
		return nil, fmt.Errorf("ansible-playbook printed no PLAY RECAP")
	}
	lines := strings.Split(after, "\n")
	for _, line := range lines[1:] {
		host, counters, ok := strings.Cut(line, " : ")
		if !ok || strings.TrimSpace(host) == "" {
			continue
		}
		recap := map[string]int{}
		for _, f := range strings.Fields(counters) {
			k, v, ok := strings.Cut(f, "=")
			n, err := strconv.Atoi(v)
			if !ok || err != nil {
				return nil, fmt.Errorf("ansible-playbook recap: cannot read %q", f)
			}
			recap[k] = n
		}
		return recap, nil
	}
	return nil, fmt.Errorf("ansible-playbook recap names no host")
}
