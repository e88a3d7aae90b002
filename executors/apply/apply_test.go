package apply

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redisplan/redisplan/internal/catalog"
	"github.com/redisplan/redisplan/internal/model"
)

// These tests run Run against fakes of apply's own interfaces (LiveConfig,
// Restarter), so that each failure can be made to happen at one exact
// step. The tests against real servers are in cmd/redisplan.

// fakeLive is a LiveConfig over a map, recording every call.
type fakeLive struct {
	values map[string]string
	// setErr, when set, makes ConfigSet fail without changing anything,
	// as Redis refuses a CONFIG SET as a whole.
	setErr error
	// readBack overrides what ConfigGet returns for a name.
	readBack map[string]string
	sets     [][][2]string
	aofOn    bool
}

var _ LiveConfig = (*fakeLive)(nil)

func (f *fakeLive) ConfigSet(_ context.Context, pairs [][2]string) error {
	f.sets = append(f.sets, pairs)
	if f.setErr != nil {
		return f.setErr
	}
	for _, p := range pairs {
		f.values[p[0]] = p[1]
	}
	return nil
}

func (f *fakeLive) ConfigGet(_ context.Context, names ...string) (map[string]string, error) {
	out := map[string]string{}
	for _, n := range names {
		v, ok := f.readBack[n]
		if !ok {
			v = f.values[n]
		}
		out[n] = v
	}
	return out, nil
}

func (f *fakeLive) EnableAOF(context.Context) error {
	f.aofOn = true
	f.values["appendonly"] = "yes"
	return nil
}

// fakeRestarter plays a restart: it runs the steps a real one runs and
// fails where it is told to.
type fakeRestarter struct {
	// failAfterStop fails the restart once the old process ended: the
	// steps' Undo runs, as the real Restarter does before it starts the
	// server again on its old configuration.
	failAfterStop bool
	// refuse fails before anything is stopped.
	refuse   bool
	restarts int
}

var _ Restarter = (*fakeRestarter)(nil)

func (f *fakeRestarter) Restart(ctx context.Context, steps RestartSteps) error {
	f.restarts++
	if f.refuse {
		return errors.New("the server refused SHUTDOWN")
	}
	if steps.BeforeStart != nil {
		if err := steps.BeforeStart(ctx); err != nil {
			return err
		}
	}
	if f.failAfterStop {
		if err := steps.Undo(ctx); err != nil {
			return err
		}
		return errors.New("the server exited at start")
	}
	return nil
}

func catalog70(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.For("7.0.15")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// writeConf writes a config file and returns its path and content.
func writeConf(t *testing.T, content string) (string, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, []byte(content)
}

// change is a planned change of directive from before to after, on the
// server and in the file.
func change(directive string, mode model.Mode, before, after string) model.Change {
	return model.Change{
		Directive:  directive,
		Action:     model.Update,
		Mode:       mode,
		LiveBefore: model.Value{Set: true, Value: before},
		FileBefore: model.Value{Set: true, Value: before},
		After:      after,
		LiveChange: mode == model.Live,
		FileChange: true,
	}
}

func request(t *testing.T, conf string, live *fakeLive, changes []model.Change, directives ...model.Directive) Request {
	t.Helper()
	return Request{
		Target:  &model.Target{Name: "main", ConfigFile: conf, Directives: directives},
		Plan:    &model.TargetPlan{Target: "main", Changes: changes},
		Catalog: catalog70(t),
		Live:    live,
	}
}

func mustContain(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("err = %q, want it to contain %q", err, p)
		}
	}
}

func sameFile(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	if string(got) != string(want) {
		t.Errorf("%s is\n%s\nwant it as it was before apply:\n%s", path, got, want)
	}
}

// TestConfigSetFailureChangesNothing: Redis refuses the one CONFIG SET as
// a whole; the file written just before is put back, so neither the
// server nor the file holds any of the changes.
func TestConfigSetFailureChangesNothing(t *testing.T) {
	t.Parallel()
	conf, before := writeConf(t, "# a person's file\nport 6379\nmaxmemory 100mb\nhz 10\n")
	live := &fakeLive{
		values: map[string]string{"maxmemory": "104857600", "hz": "10"},
		setErr: errors.New("ERR CONFIG SET failed (possibly related to argument 'hz') - argument must be between 1 and 500 inclusive"),
	}
	req := request(t, conf, live,
		[]model.Change{change("maxmemory", model.Live, "104857600", "209715200"), change("hz", model.Live, "10", "20")},
		model.Directive{Name: "maxmemory", Value: "209715200"}, model.Directive{Name: "hz", Value: "20"})

	res, err := Run(context.Background(), req)
	mustContain(t, err, "CONFIG SET on redis.main failed", "no live value changed and the file was restored", "argument must be between")
	sameFile(t, conf, before)
	if len(live.sets) != 1 || len(live.sets[0]) != 2 {
		t.Errorf("CONFIG SET calls = %v, want one with both changes (all or nothing)", live.sets)
	}
	if live.values["maxmemory"] != "104857600" || live.values["hz"] != "10" {
		t.Errorf("live values = %v, want them unchanged", live.values)
	}
	if res.LiveChanges != 0 || res.Restarted {
		t.Errorf("result = %+v, want no live change counted", res)
	}
}

// TestConfigSetFailureTurnsAOFBackOff: AOF is turned on before the file
// says so; when the CONFIG SET of the other changes fails, AOF goes back
// off and the file back to what it was.
func TestConfigSetFailureTurnsAOFBackOff(t *testing.T) {
	t.Parallel()
	conf, before := writeConf(t, "appendonly no\nmaxmemory 100mb\n")
	live := &fakeLive{values: map[string]string{"appendonly": "no", "maxmemory": "104857600"}}
	req := request(t, conf, live,
		[]model.Change{change("appendonly", model.Live, "no", "yes"), change("maxmemory", model.Live, "104857600", "209715200")},
		model.Directive{Name: "appendonly", Value: "yes"}, model.Directive{Name: "maxmemory", Value: "209715200"})
	req.Plan.EnableAOF = true
	// EnableAOF succeeds; the CONFIG SET after it is refused.
	enabled := &failAfterAOF{fakeLive: live}
	req.Live = enabled

	_, err := Run(context.Background(), req)
	mustContain(t, err, "no live value changed and the file was restored")
	sameFile(t, conf, before)
	if !live.aofOn {
		t.Fatal("EnableAOF was not called: the test does not test the undo")
	}
	if got := live.values["appendonly"]; got != "no" {
		t.Errorf("appendonly = %s after the failed apply, want it turned back off", got)
	}
}

// failAfterAOF refuses every CONFIG SET except the one turning AOF off.
type failAfterAOF struct{ *fakeLive }

func (f *failAfterAOF) ConfigSet(ctx context.Context, pairs [][2]string) error {
	if len(pairs) == 1 && pairs[0] == [2]string{"appendonly", "no"} {
		return f.fakeLive.ConfigSet(ctx, pairs)
	}
	f.sets = append(f.sets, pairs)
	return errors.New("ERR CONFIG SET failed")
}

// TestReadBackMismatchIsReported: a value Redis accepted but holds
// differently is an error naming it; a sensitive one is named without
// its value.
func TestReadBackMismatchIsReported(t *testing.T) {
	t.Parallel()
	conf, _ := writeConf(t, "hz 10\nmasterauth old-secret\n")
	live := &fakeLive{
		values:   map[string]string{"hz": "10", "masterauth": "old-secret"},
		readBack: map[string]string{"hz": "500", "masterauth": "n0t-what-was-set"},
	}
	auth := change("masterauth", model.Live, "old-secret", "new-s3cret")
	auth.Sensitive = true
	req := request(t, conf, live,
		[]model.Change{change("hz", model.Live, "10", "600"), auth},
		model.Directive{Name: "hz", Value: "600"}, model.Directive{Name: "masterauth", Value: "new-s3cret", Sensitive: true})

	res, err := Run(context.Background(), req)
	mustContain(t, err, "redis.main accepted the changes but reads back differently", "hz is 500, not 600", "masterauth (sensitive value)")
	for _, s := range []string{"new-s3cret", "n0t-what-was-set", "old-secret"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error shows a secret (%s): %v", s, err)
		}
	}
	if res.LiveChanges != 2 {
		t.Errorf("LiveChanges = %d, want 2: the changes were applied", res.LiveChanges)
	}
}

// TestFailedRestartRollsTheFileBack: the server stopped for the restart
// does not start on the new configuration; the Restarter undoes the apply,
// and the config file is back byte for byte.
func TestFailedRestartRollsTheFileBack(t *testing.T) {
	t.Parallel()
	conf, before := writeConf(t, "# a person's file\ndatabases 16\n")
	live := &fakeLive{values: map[string]string{"databases": "16"}}
	req := request(t, conf, live,
		[]model.Change{change("databases", model.Restart, "16", "32")},
		model.Directive{Name: "databases", Value: "32"})
	req.AllowRestart = true
	r := &fakeRestarter{failAfterStop: true}
	req.Restarter = r

	res, err := Run(context.Background(), req)
	mustContain(t, err, "the apply was undone", "the server exited at start", "The config file is back as it was before this apply")
	sameFile(t, conf, before)
	if r.restarts != 1 || res.Restarted {
		t.Errorf("restarts = %d, Restarted = %v; want one failed restart", r.restarts, res.Restarted)
	}
}

// TestFailedRestartRemovesACreatedFile: a config file apply created is
// removed again when the restart that would have used it fails.
func TestFailedRestartRemovesACreatedFile(t *testing.T) {
	t.Parallel()
	conf := filepath.Join(t.TempDir(), "redis.conf")
	live := &fakeLive{values: map[string]string{"databases": "16"}}
	c := change("databases", model.Restart, "16", "32")
	c.FileBefore = model.Value{}
	req := request(t, conf, live, []model.Change{c}, model.Directive{Name: "databases", Value: "32"})
	req.AllowRestart = true
	req.Restarter = &fakeRestarter{failAfterStop: true}

	_, err := Run(context.Background(), req)
	mustContain(t, err, "the apply was undone")
	if _, err := os.Stat(conf); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the config file apply created is still there after the rollback: %v", err)
	}
}

// TestRefusedRestartSaysWhatWasApplied: a restart refused before anything
// stopped leaves the file written (the change waits for the next restart)
// and the error says so.
func TestRefusedRestartSaysWhatWasApplied(t *testing.T) {
	t.Parallel()
	conf, before := writeConf(t, "databases 16\n")
	live := &fakeLive{values: map[string]string{"databases": "16"}}
	req := request(t, conf, live,
		[]model.Change{change("databases", model.Restart, "16", "32")},
		model.Directive{Name: "databases", Value: "32"})
	req.AllowRestart = true
	req.Restarter = &fakeRestarter{refuse: true}

	_, err := Run(context.Background(), req)
	mustContain(t, err, "restart redis.main", "the server refused SHUTDOWN", "the file and live changes were applied")
	got, _ := os.ReadFile(conf)
	if string(got) == string(before) || !strings.Contains(string(got), "databases 32") {
		t.Errorf("the config file is\n%s\nwant it to hold databases 32, as the error says", got)
	}
}

// TestFailedRestartUndoesCarriedFiles: a dbfilename change carries the RDB
// over to its new name while the server is stopped; when the server then
// fails to start, the new name is removed, the old file is untouched and
// the config file is back.
func TestFailedRestartUndoesCarriedFiles(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	rdb := []byte("REDIS0011 not a real RDB: relocate only links it")
	if err := os.WriteFile(filepath.Join(dataDir, "dump.rdb"), rdb, 0o600); err != nil {
		t.Fatal(err)
	}
	conf, before := writeConf(t, "dir "+dataDir+"\ndbfilename dump.rdb\n")
	live := &fakeLive{values: map[string]string{
		"dir": dataDir, "dbfilename": "dump.rdb", "appenddirname": "appendonlydir", "appendfilename": "appendonly.aof", "appendonly": "no",
	}}
	req := request(t, conf, live,
		[]model.Change{change("dbfilename", model.Protected, "dump.rdb", "orders.rdb")},
		model.Directive{Name: "dbfilename", Value: "orders.rdb"})
	req.AllowRestart = true
	req.Restarter = &fakeRestarter{failAfterStop: true}

	_, err := Run(context.Background(), req)
	mustContain(t, err, "the apply was undone")
	sameFile(t, conf, before)
	sameFile(t, filepath.Join(dataDir, "dump.rdb"), rdb)
	if _, err := os.Stat(filepath.Join(dataDir, "orders.rdb")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the carried-over orders.rdb is still there after the rollback: %v", err)
	}
}

// TestRelocationWithoutRestartChangesNothing: a change of where the data
// lives is refused before anything is written when the restart that
// carries the files over is not allowed.
func TestRelocationWithoutRestartChangesNothing(t *testing.T) {
	t.Parallel()
	conf, before := writeConf(t, "dbfilename dump.rdb\n")
	live := &fakeLive{values: map[string]string{"dbfilename": "dump.rdb"}}
	req := request(t, conf, live,
		[]model.Change{change("dbfilename", model.Protected, "dump.rdb", "orders.rdb")},
		model.Directive{Name: "dbfilename", Value: "orders.rdb"})
	req.Restarter = &fakeRestarter{}

	_, err := Run(context.Background(), req)
	mustContain(t, err, "starts EMPTY", "apply -allow-restart", "Nothing was changed")
	sameFile(t, conf, before)
	if len(live.sets) != 0 {
		t.Errorf("CONFIG SET calls = %v, want none", live.sets)
	}
}
