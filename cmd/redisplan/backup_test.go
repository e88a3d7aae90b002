package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"
	"github.com/redisplan/redisplan/internal/units"
)

// The backup tests take backups of real servers with the CLI, break
// things the way disks and people do, and restore, comparing every value.

// fillDataset writes every value type, keys with TTLs, and several
// databases.
func fillDataset(t *testing.T, addr, tag string) {
	t.Helper()
	ctx := context.Background()
	for db := 0; db < 3; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true})
		defer c.Close()
		// One round trip per database. As when each command was sent on
		// its own, a command's error (a stream ID already used) is not
		// checked.
		p := c.Pipeline()
		for i := 0; i < 50; i++ {
			k := fmt.Sprintf("%s:%d:%d", tag, db, i)
			p.Set(ctx, k+":s", fmt.Sprintf(`{"id":%d,"tag":%q}`, i, tag), 0)
			p.HSet(ctx, k+":h", "a", i, "b", tag)
			p.RPush(ctx, k+":l", "x", i, tag)
			p.SAdd(ctx, k+":set", "m1", i, tag)
			p.ZAdd(ctx, k+":z", redis.Z{Score: float64(i), Member: tag}, redis.Z{Score: 0.5, Member: "half"})
			p.XAdd(ctx, &redis.XAddArgs{Stream: k + ":x", ID: fmt.Sprintf("%d-1", i+1), Values: []any{"f", tag}})
			p.Set(ctx, k+":ttl", "v", time.Hour)
		}
		_, _ = p.Exec(ctx)
	}
}

// dataset reads every key of the first three databases semantically: the
// same data gives the same map whatever its internal encoding.
func dataset(t *testing.T, addr string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	for db := 0; db < 3; db++ {
		c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true})
		defer c.Close()
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatalf("KEYS: %v", err)
		}
		// Two round trips per database: the types, then each key's value
		// and TTL. Errors read as empty values, as they always did.
		p := c.Pipeline()
		types := make([]*redis.StatusCmd, len(keys))
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
		}
		_, _ = p.Exec(ctx)
		values := make([]func() any, len(keys))
		ttls := make([]*redis.DurationCmd, len(keys))
		for i, k := range keys {
			switch types[i].Val() {
			case "string":
				values[i] = cmdVal(p.Get(ctx, k))
			case "hash":
				values[i] = cmdVal(p.HGetAll(ctx, k))
			case "list":
				values[i] = cmdVal(p.LRange(ctx, k, 0, -1))
			case "set":
				cmd := p.SMembers(ctx, k)
				values[i] = func() any {
					m := cmd.Val()
					sort.Strings(m)
					return m
				}
			case "zset":
				values[i] = cmdVal(p.ZRangeWithScores(ctx, k, 0, -1))
			case "stream":
				values[i] = cmdVal(p.XRange(ctx, k, "-", "+"))
			default:
				values[i] = func() any { return nil }
			}
			ttls[i] = p.TTL(ctx, k)
		}
		_, _ = p.Exec(ctx)
		for i, k := range keys {
			out[fmt.Sprintf("%d/%s", db, k)] = fmt.Sprintf("%s %v ttl=%v", types[i].Val(), values[i](), ttls[i].Val() > 0)
		}
	}
	return out
}

// cmdVal returns a function giving cmd's value once its pipeline ran.
func cmdVal[T any](cmd interface{ Val() T }) func() any {
	return func() any { return cmd.Val() }
}

func backupSpec(t *testing.T, d *daemon, dest, extra string) string {
	return writeSpec(t, fmt.Sprintf(`redis "main" {
  address     = %q
  config_file = %q
  %s
  backup {
    destination = %q
%s
  }
}
`, d.addr(), d.conf, d.service(), dest, extra))
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("%v: exit %d\n%s%s", args, code, out, errOut)
	}
	return out
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"bgsave", "replication"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			// A diskless transfer starts at once, not 5s later.
			d := startDaemon(t, `save ""`, "repl-diskless-sync-delay 0")
			fillDataset(t, d.addr(), "before")
			want := dataset(t, d.addr())
			dest := t.TempDir()
			spec := backupSpec(t, d, dest, fmt.Sprintf("    method = %q", method))

			out := mustRun(t, "backup", "run", "-config", spec)
			if !strings.Contains(out, "backup ") || !strings.Contains(out, "verified") {
				t.Fatalf("backup run output:\n%s", out)
			}
			// Not on a terminal, the progress of the one file is a line
			// with its whole size, as the catalog records it.
			var list struct {
				Backups []struct {
					Raw int64 `json:"raw_bytes"`
				} `json:"backups"`
			}
			if err := json.Unmarshal([]byte(mustRun(t, "backup", "list", "-config", spec, "-json")), &list); err != nil || len(list.Backups) != 1 {
				t.Fatalf("backup list -json: %+v, %v", list, err)
			}
			size := units.FormatBytes(list.Backups[0].Raw)
			doneLine := func(verb string) *regexp.Regexp {
				return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta("redis.main: "+verb+" dump.rdb: "+size) + `( in [0-9.]+s \(.+/s\))?$`)
			}
			if re := doneLine("stored"); !re.MatchString(out) {
				t.Errorf("backup run's output has no line %s:\n%s", re, out)
			}
			// Change everything, then restore.
			c := d.client(t)
			c.FlushAll(context.Background())
			fillDataset(t, d.addr(), "after")
			out = mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
			if !strings.Contains(out, "Restore complete") {
				t.Fatalf("restore output:\n%s", out)
			}
			if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
				t.Errorf("restored data differs from the backup (-want +got):\n%s", diff)
			}
			if re := doneLine("wrote"); !re.MatchString(out) {
				t.Errorf("restore's output has no line %s:\n%s", re, out)
			}
		})
	}
}

func TestBackupRestoreAOFTarget(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`, "appendonly yes")
	fillDataset(t, d.addr(), "before")
	want := dataset(t, d.addr())
	spec := backupSpec(t, d, t.TempDir(), `    include = ["rdb", "aof"]`)
	mustRun(t, "backup", "run", "-config", spec)
	fillDataset(t, d.addr(), "more")
	mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Fatalf("restored data differs (-want +got):\n%s", diff)
	}
	c := d.client(t)
	if got := configGet(t, c, "appendonly"); got != "yes" {
		t.Errorf("appendonly = %s after restore, want yes", got)
	}
	// Consistent after a further restart: the AOF holds the same data.
	_ = c.Do(context.Background(), "SHUTDOWN").Err()
	waitGone(t, d)
	if out, err := execCommand(d.start, d.conf); err != nil {
		t.Fatalf("restart: %v %s", err, out)
	}
	waitUp(t, c)
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("data after a further restart differs (-want +got):\n%s", diff)
	}
}

func storedFile(t *testing.T, dest, suffix string) string {
	t.Helper()
	var found string
	filepath.Walk(dest, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() && strings.HasSuffix(p, suffix) {
			found = p
		}
		return nil
	})
	if found == "" {
		t.Fatalf("no stored file ending in %s under %s", suffix, dest)
	}
	return found
}

func TestDamagedBackupsAreRefused(t *testing.T) {
	t.Parallel()
	for _, damage := range []string{"flipped byte", "truncated"} {
		t.Run(damage, func(t *testing.T) {
			t.Parallel()
			d := startDaemon(t, `save ""`)
			fillDataset(t, d.addr(), "live")
			dest := t.TempDir()
			spec := backupSpec(t, d, dest, `    compression = "none"`)
			mustRun(t, "backup", "run", "-config", spec)
			want := dataset(t, d.addr())

			p := storedFile(t, dest, "dump.rdb")
			b, _ := os.ReadFile(p)
			if damage == "flipped byte" {
				b[len(b)/2] ^= 0xff
			} else {
				b = b[:len(b)*2/3]
			}
			os.WriteFile(p, b, 0o600)

			code, _, errOut := runCLI(t, "backup", "verify", "-config", spec)
			if code != 1 || !strings.Contains(errOut, "dump.rdb") {
				t.Errorf("verify: exit %d, want 1 naming the file:\n%s", code, errOut)
			}
			code, _, errOut = runCLI(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
			if code != 1 || !strings.Contains(strings.ToLower(errOut), "nothing was changed") || !strings.Contains(errOut, "dump.rdb") {
				t.Errorf("restore: exit %d, want 1 before touching anything:\n%s", code, errOut)
			}
			t.Logf("verify said: %s", strings.TrimSpace(errOut))
			if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
				t.Errorf("live data changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEncryptedBackup(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "backup.key")
	os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600)
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "secret")
	want := dataset(t, d.addr())
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, fmt.Sprintf("    recipients = [%q]", id.Recipient().String()))
	mustRun(t, "backup", "run", "-config", spec)
	if p := storedFile(t, dest, ".age"); p == "" {
		t.Fatal("no encrypted artifact")
	}
	manifest, _ := os.ReadFile(storedFile(t, dest, "manifest.json"))
	if strings.Contains(string(manifest), id.String()) {
		t.Fatal("the manifest holds the identity")
	}

	code, _, errOut := runCLI(t, "backup", "verify", "-config", spec)
	if code != 1 || !strings.Contains(errOut, "-identity") {
		t.Errorf("verify without the identity: exit %d, want 1 asking for -identity:\n%s", code, errOut)
	}
	code, _, errOut = runCLI(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve")
	if code != 1 {
		t.Errorf("restore without the identity: exit %d, want 1:\n%s", code, errOut)
	}
	d.client(t).FlushAll(context.Background())
	mustRun(t, "restore", "-config", spec, "-target", "main", "-latest", "-auto-approve", "-identity", idFile)
	if diff := cmp.Diff(want, dataset(t, d.addr())); diff != "" {
		t.Errorf("restored data differs (-want +got):\n%s", diff)
	}
}

func TestVerifyDrill(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "drill")
	spec := backupSpec(t, d, t.TempDir(), "")
	mustRun(t, "backup", "run", "-config", spec)
	out := mustRun(t, "backup", "verify", "-drill", "-config", spec, "latest")
	// 3 dbs x 50 x 7 keys.
	if !strings.Contains(out, "1050 keys, as in the manifest, loaded in ") {
		t.Errorf("drill output:\n%s", out)
	}
}

func TestPruneDeletesWhatDryRunListed(t *testing.T) {
	t.Parallel()
	d := startDaemon(t, `save ""`)
	fillDataset(t, d.addr(), "p")
	dest := t.TempDir()
	spec := backupSpec(t, d, dest, "    retention {\n      keep_last = 2\n    }")
	for i := 0; i < 4; i++ {
		mustRun(t, "backup", "run", "-no-prune", "-config", spec)
	}
	list := func() []string {
		out := mustRun(t, "backup", "list", "-config", spec)
		var ids []string
		for _, l := range strings.Split(out, "\n")[1:] {
			if f := strings.Fields(l); len(f) > 1 {
				ids = append(ids, f[1])
			}
		}
		return ids
	}
	before := list()
	if len(before) != 4 {
		t.Fatalf("backups = %v, want 4", before)
	}
	dry := mustRun(t, "backup", "prune", "-dry-run", "-config", spec)
	var wouldDelete []string
	for _, l := range strings.Split(dry, "\n") {
		if _, rest, ok := strings.Cut(l, "would delete "); ok {
			wouldDelete = append(wouldDelete, strings.Fields(rest)[0])
		}
	}
	if len(wouldDelete) != 2 || !cmp.Equal(list(), before) {
		t.Fatalf("dry run would delete %v and must delete nothing:\n%s", wouldDelete, dry)
	}
	mustRun(t, "backup", "prune", "-config", spec)
	after := list()
	var deleted []string
	for _, id := range before {
		if !contains(after, id) {
			deleted = append(deleted, id)
		}
	}
	sort.Strings(deleted)
	sort.Strings(wouldDelete)
	if !cmp.Equal(deleted, wouldDelete) {
		t.Errorf("prune deleted %v, the dry run listed %v", deleted, wouldDelete)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
