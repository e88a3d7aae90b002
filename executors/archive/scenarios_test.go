package archive

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/executors/server/servertest"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3test"
	"github.com/redisplan/redisplan/internal/testwait"
	"github.com/redisplan/redisplan/internal/tlstest"
)

// chainsOf are the chains and gaps of the archive in repo.
func chainsOf(t *testing.T, repo *repository.Repository) ([]Chain, []Gap) {
	t.Helper()
	segs, err := ListSegments(context.Background(), repo)
	if err != nil {
		t.Fatal(err)
	}
	ch, gaps := Chains(bases(t, repo), segs)
	return ch, gaps
}

// A server restarted under the archiver (empty, with a new replication
// ID) cannot continue the stream: the archiver takes a new base, the
// archive reports the gap, and the new chain replays exactly.
func TestServerRestartedUnderArchiver(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	src.Restart(t) // save "": it comes back empty, with a new ID
	c = src.Client(t)
	writeMix(t, src.Addr(), 1)
	a.waitArchived(t, c)
	a.stop(t)
	if n := len(bases(t, repo)); n != 2 {
		t.Fatalf("%d bases, want 2\n%s", n, strings.Join(a.messages(), "\n"))
	}
	_, gaps := chainsOf(t, repo)
	if len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "replication ID changed") || !gaps[0].To.After(gaps[0].From) {
		t.Errorf("gaps %+v, want one where the replication ID changed", gaps)
	}
	if !strings.Contains(strings.Join(a.messages(), "\n"), "cannot be continued") {
		t.Errorf("the archiver did not say why it took a new base:\n%s", strings.Join(a.messages(), "\n"))
	}
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}
}

// An archiver away for longer than the server's backlog holds gets a
// full resynchronization on its return: a new base of the same stream,
// and a gap of the offsets it missed.
func TestBacklogExceeded(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig + "repl-backlog-size 16kb\n"})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	a.stop(t)
	writeMix(t, src.Addr(), 1) // far more than 16kb
	b := follow(t, repo, 100*time.Millisecond)
	b.waitArchived(t, c)
	b.stop(t)
	bs := bases(t, repo)
	if len(bs) != 2 || bs[0].ReplID != bs[1].ReplID {
		t.Fatalf("bases %d, want 2 of one stream\n%s", len(bs), strings.Join(b.messages(), "\n"))
	}
	_, gaps := chainsOf(t, repo)
	if len(gaps) != 1 || !strings.Contains(gaps[0].Reason, "not archived") || strings.Contains(gaps[0].Reason, "ID changed") {
		t.Errorf("gaps %+v, want one of missing offsets", gaps)
	}
	if !strings.Contains(strings.Join(b.messages(), "\n"), "backlog no longer holds it") {
		t.Errorf("the archiver did not say why:\n%s", strings.Join(b.messages(), "\n"))
	}
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}
}

// A scheduled BGSAVE backup taken while the archiver is attached records
// the stream position: it is a base inside the chain, and replaying from
// it (skipping the commands it already holds, in the middle of a
// segment) gives the source's dataset.
func TestBGSaveBaseAnchorsInChain(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, 2*time.Second) // long segments: the base falls inside one
	writeMix(t, src.Addr(), 0)
	testwait.For(t, 30*time.Second, "the base", func() (bool, error) { return len(bases(t, repo)) == 1, nil })
	writeMix(t, src.Addr(), 1)
	client, err := live.Dial(repo.Target.Connection)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	m, err := repo.Take(context.Background(), repository.TakeOptions{Client: client})
	if err != nil {
		t.Fatal(err)
	}
	id, off := masterOffset(t, c)
	if m.ReplID != id || m.ReplOffset <= 0 || m.ReplOffset > off {
		t.Fatalf("the BGSAVE backup records %s at %d; the server is at %d of %s", m.ReplID, m.ReplOffset, off, id)
	}
	writeMix(t, src.Addr(), 2)
	a.waitArchived(t, c)
	a.stop(t)
	chains, _ := chainsOf(t, repo)
	var found bool
	for _, ch := range chains {
		if len(ch.Bases) == 2 && ch.Bases[1].ID == m.ID {
			found = true
		}
	}
	if !found {
		t.Fatalf("the BGSAVE backup is not a second base of the chain: %+v", chains)
	}
	// replayed starts from the newest base of the chain: the BGSAVE one.
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}
}

// The ACL a user needs to archive: +psync +replconf +info, nothing else
// (no key or channel permission). Without +psync, the archiver stops at
// once with the server's refusal rather than retrying.
func TestArchiveACLUser(t *testing.T) {
	t.Parallel()
	src := servertest.Start(t, servertest.Options{Config: debugConfig +
		"user archiver on >s3cret resetkeys resetchannels -@all +psync +replconf +info\n" +
		"user nopsync on >s3cret resetkeys resetchannels -@all +replconf +info\n"})
	c := src.Client(t)
	tg := archiveTarget(t, src)
	tg.Connection.Username, tg.Connection.Password = "archiver", "s3cret"
	repo := openRepo(t, tg)
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	a.stop(t)
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}

	tg2 := archiveTarget(t, src)
	tg2.Connection.Username, tg2.Connection.Password = "nopsync", "s3cret"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := Follow(ctx, Options{Repo: openRepo(t, tg2)})
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "lacks permission for PSYNC") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("Follow without +psync = %v, want the refusal at once, without the password", err)
	}
}

// The stream is read through TLS with a client certificate.
func TestArchiveOverTLS(t *testing.T) {
	t.Parallel()
	f := tlstest.Write(t)
	port := servertest.FreePort(t)
	src := servertest.Start(t, servertest.Options{Config: debugConfig + f.ServerConfig(port)})
	c := src.Client(t)
	tg := archiveTarget(t, src)
	tg.Connection.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	tg.Connection.TLS = &model.TLS{CAFile: f.CA, CertFile: f.ClientCert, KeyFile: f.ClientKey}
	repo := openRepo(t, tg)
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	a.stop(t)
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}
}

// On S3 (versitygw) the bases and segments sit under the target's prefix,
// segments in its archive/ folder, and replay exactly.
func TestArchiveOnS3(t *testing.T) {
	t.Parallel()
	s3 := s3test.Start(t)
	bucket := s3.Bucket(t, "archive")
	src := servertest.Start(t, servertest.Options{Config: debugConfig})
	c := src.Client(t)
	tg := archiveTarget(t, src)
	tg.Backup.Destination = "s3://" + bucket + "/fleet"
	tg.Backup.S3 = &model.S3{Endpoint: s3.Endpoint, Region: "us-east-1", AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, PathStyle: true}
	repo := openRepo(t, tg)
	a := follow(t, repo, 100*time.Millisecond)
	writeMix(t, src.Addr(), 0)
	a.waitArchived(t, c)
	writeMix(t, src.Addr(), 1)
	a.waitArchived(t, c)
	a.stop(t)
	segs := 0
	for o := range s3.Client(t).ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: "fleet/main/archive/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		if _, ok := ParseName(strings.TrimPrefix(o.Key, "fleet/main/archive/")); !ok {
			t.Errorf("object %s in the archive folder is not a segment", o.Key)
		}
		segs++
	}
	if segs == 0 {
		t.Fatalf("no segment in the bucket")
	}
	l, err := repo.List(context.Background())
	if err != nil || len(l.LeftAlone) != 0 || len(l.Backups) != 1 {
		t.Errorf("List = %+v, %v; want the base and nothing left alone", l, err)
	}
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}
	// Deleting goes through the repository too.
	listed, err := ListSegments(context.Background(), repo)
	if err != nil || len(listed) != segs {
		t.Fatalf("ListSegments = %d, %v; the bucket holds %d", len(listed), err, segs)
	}
	if err := repo.DeleteObject(context.Background(), repository.Archive, listed[0].Name); err != nil {
		t.Fatal(err)
	}
	if after, err := ListSegments(context.Background(), repo); err != nil || len(after) != segs-1 {
		t.Errorf("after a deletion ListSegments = %d, %v; want %d", len(after), err, segs-1)
	}
}

// A link the server drops (CLIENT KILL TYPE replica) while writes flow is
// picked up again with PSYNC from the last committed offset: +CONTINUE,
// no new base, and nothing lost or doubled.
func TestDisconnectResumes(t *testing.T) {
	t.Parallel()
	// A backlog that holds what the writer writes while the archiver
	// waits to reconnect (1s, 2s, 4s).
	src := servertest.Start(t, servertest.Options{Config: debugConfig + "repl-backlog-size 256mb\n"})
	c := src.Client(t)
	repo := openRepo(t, archiveTarget(t, src))
	a := follow(t, repo, 100*time.Millisecond)
	testwait.For(t, 30*time.Second, "the base", func() (bool, error) { return len(bases(t, repo)) == 1, nil })
	w := startWriter(t, src.Addr())
	resumed := func() int { return strings.Count(strings.Join(a.messages(), "\n"), "continuing the stream") }
	for i := range 3 {
		n := w.n.Load()
		testwait.For(t, 30*time.Second, "writes", func() (bool, error) { return w.n.Load() > n+100, nil })
		if err := c.Do(context.Background(), "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
			t.Fatal(err)
		}
		if err := testwait.Until(30*time.Second, func() (bool, error) { return resumed() > i, nil }); err != nil {
			t.Fatalf("the archiver did not resume after CLIENT KILL %d: %v\n%s", i+1, err, strings.Join(a.messages(), "\n"))
		}
	}
	w.halt()
	a.waitArchived(t, c)
	a.stop(t)
	msgs := strings.Join(a.messages(), "\n")
	if n := len(bases(t, repo)); n != 1 || strings.Count(msgs, "continuing the stream") < 3 {
		t.Fatalf("%d bases, want 1 and three resumptions:\n%s", n, msgs)
	}
	if got, want := digest(t, replayed(t, repo).Client(t)), digest(t, c); got != want {
		t.Fatalf("replayed digest %s, source %s", got, want)
	}
}
