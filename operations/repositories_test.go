package operations

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/owner"
)

// Check reads the target's own backups only (Repository.Catalog), and
// names another spec's beside them.
func TestCheckReadsOwnBackupsOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	tg := &model.Target{Name: "main", Pos: model.Pos{Filename: filepath.Join(dir, "redis.hcl")},
		Backup: &model.Backup{Destination: filepath.Join(dir, "backups")}}
	repo, err := repository.Open(tg, "")
	if err != nil {
		t.Fatal(err)
	}
	commit := func(id string, o *owner.Owner) {
		ctx := context.Background()
		p, err := repo.Storage.Begin(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		m := &backup.Manifest{Version: backup.ManifestVersion, ID: id, Target: "main", Started: time.Now().UTC(), Owner: o}
		if err := p.Commit(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	commit("20261101T000000.000Z", repository.Owner(tg))
	commit("20261102T000000.000Z", &owner.Owner{Spec: filepath.Join(dir, "other.hcl"), Target: "main"})

	own, theirs, err := repo.Catalog(context.Background())
	if err != nil || len(own) != 1 || own[0].ID != "20261101T000000.000Z" {
		t.Fatalf("Catalog = %v, %v; want the target's one backup", own, err)
	}
	if others := fmt.Sprintf("%d of %s", len(theirs), repository.DescribeOwners(theirs)); !strings.HasPrefix(others, "1 of spec "+filepath.Join(dir, "other.hcl")) {
		t.Errorf("others = %q, want the other spec named", others)
	}
	if got, want := repository.LocalFolder(tg), filepath.Join(dir, "backups", "main"); got != want {
		t.Errorf("LocalFolder = %q, want %q", got, want)
	}
}
