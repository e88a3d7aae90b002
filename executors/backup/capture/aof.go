package capture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redisplan/redisplan/executors/live"
	"github.com/redisplan/redisplan/internal/failpoint"
	"github.com/redisplan/redisplan/internal/redisinfo"
)

// Kinds of the files AOFSnapshot returns; they are the backup manifest's
// file kinds.
const (
	KindAOFManifest = "aof-manifest"
	KindAOFBase     = "aof-base"
	KindAOFIncr     = "aof-incr"
)

const (
	// restoreTimeout bounds putting auto-aof-rewrite-percentage back,
	// which happens even when the caller's context has ended.
	restoreTimeout = 10 * time.Second
	// copyAttempts is how often AOFSnapshot starts over when a file the
	// manifest lists disappears under it (a rewrite someone started by
	// hand replaced it).
	copyAttempts = 3
)

// errVanished reports a file the manifest listed that was gone when it
// was to be linked or copied.
var errVanished = errors.New("a file the AOF manifest lists has disappeared")

// AOFFile is one file of an AOF snapshot.
type AOFFile struct {
	// Path is the file in destDir.
	Path string
	// Original is the file's name on the server relative to its dir:
	// "appendonlydir/appendonly.aof.1.base.rdb".
	Original string
	// Kind is KindAOFManifest, KindAOFBase or KindAOFIncr.
	Kind string
}

// AOFSnapshot makes a consistent copy of the server's Redis 7 AOF
// directory (dir/appenddirname, with dataDir standing for dir when it is
// not empty) in destDir, which it creates: destDir takes the place of the
// AOF directory, so a server whose dir holds it under the appenddirname
// loads the copy.
//
// It suspends automatic rewrites (CONFIG SET auto-aof-rewrite-percentage 0),
// after recording the value it had in journal (a RewriteHold, on disk
// before the change; nil records nothing, for tests), waits until no
// rewrite runs or is scheduled, hard-links the manifest
// (Redis replaces it by rename, never in place), parses the linked copy and
// hard-links the base file and every incr file it lists, then puts
// auto-aof-rewrite-percentage back, also when something failed, and empties
// the journal once it is back. A process killed in between leaves the
// record for ResumeRewrites. A setting already at 0 is the user's: it is
// neither recorded nor changed. History
// files are left out: Redis never loads them. Files on another file
// system are copied instead of linked.
//
// The copy holds every write the server acknowledged before AOFSnapshot
// was called: before copying, it waits until Redis has written its AOF
// buffer as it was then (with appendfsync everysec Redis may hold that
// buffer back for up to two seconds while an fsync is slow). Whether those
// bytes have reached the disk does not matter to a copy: it reads them
// from the page cache.
//
// The last incr file is always copied, never linked: Redis keeps appending
// to it, so a link would keep growing after the snapshot. The copy takes
// the file as long as it was when copying began. Writes that arrive during
// the snapshot may or may not be in it, and the copy may end inside one,
// as a crash at that moment would leave the file; Redis trims such an end
// at load with aof-load-truncated yes, the default.
//
// Linked files share the server's inodes: read them, never write to them.
// On success the caller owns destDir and removes it when done; on failure
// AOFSnapshot removes it. Files come back as the manifest, the base, then
// the incr files in order.
func AOFSnapshot(ctx context.Context, c *redis.Client, configCmd, dataDir, destDir string, journal Journal) (files []AOFFile, err error) {
	ep := endpointOf(c)
	cfg, err := live.ConfigGet(ctx, c, configCmd, "dir", "appendonly", "appenddirname", "appendfilename", "auto-aof-rewrite-percentage")
	if err != nil {
		return nil, err
	}
	dir := dataDir
	if dir == "" {
		dir = cfg["dir"]
		if dir == "" {
			return nil, ep.Errorf(nil, "CONFIG GET dir on %s returned nothing: the server cannot name its working "+
				"directory (it may have been removed); check the server, or set the target's data_dir", ep.Addr())
		}
	}
	if cfg["appendonly"] != "yes" {
		return nil, ep.Errorf(nil, "AOF is off on %s (appendonly %s): there is no AOF to back up; back up the RDB, "+
			"or turn AOF on first", ep.Addr(), orUnknown(cfg["appendonly"]))
	}
	dirName, baseName := cfg["appenddirname"], cfg["appendfilename"]
	if dirName == "" || baseName == "" {
		return nil, ep.Errorf(nil, "%s reports no appenddirname: AOF snapshots need the multi-part AOF of Redis 7.0 "+
			"or later; back up the RDB instead", ep.Addr())
	}
	oldPct, ok := cfg["auto-aof-rewrite-percentage"]
	if !ok {
		return nil, ep.Errorf(nil, "CONFIG GET auto-aof-rewrite-percentage on %s returned nothing", ep.Addr())
	}
	src := filepath.Join(dir, dirName)

	if err := os.Mkdir(destDir, 0o700); err != nil {
		return nil, fmt.Errorf("AOF snapshot: create %s: %w", destDir, err)
	}
	defer func() {
		if err != nil {
			files = nil
			_ = os.RemoveAll(destDir)
		}
	}()

	if oldPct != heldValue {
		if journal != nil {
			hold, err := newHold(ctx, c, oldPct)
			if err != nil {
				return nil, fmt.Errorf("AOF snapshot: %w", err)
			}
			data, _ := json.Marshal(hold)
			if err := journal.Write(append(data, '\n')); err != nil {
				return nil, fmt.Errorf("AOF snapshot: record auto-aof-rewrite-percentage %s before suspending automatic rewrites: %w", oldPct, err)
			}
		}
		if err := live.ConfigSet(ctx, c, configCmd, [][2]string{{rewriteSetting, heldValue}}); err != nil {
			// The server may have applied it all the same (a reply lost
			// on the way): set the value back, and keep the record unless
			// that is certain.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
			defer cancel()
			if rerr := live.ConfigSet(rctx, c, configCmd, [][2]string{{rewriteSetting, oldPct}}); rerr == nil && journal != nil {
				_ = journal.Remove()
			}
			return nil, fmt.Errorf("AOF snapshot: suspend automatic rewrites: %w", err)
		}
		defer func() {
			// A fresh context: the setting must come back even when ctx
			// was cancelled.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restoreTimeout)
			defer cancel()
			rerr := live.ConfigSet(rctx, c, configCmd, [][2]string{{rewriteSetting, oldPct}})
			if rerr != nil {
				again := "set it back by hand"
				if journal != nil {
					again = "the next backup run puts it back, or set it back by hand"
				}
				err = errors.Join(err, fmt.Errorf("AOF snapshot: automatic AOF rewrites on %s are still suspended: "+
					"restoring auto-aof-rewrite-percentage %s failed: %w; %s", ep.Addr(), oldPct, rerr, again))
				return
			}
			if journal != nil {
				// Back as it was: a record left behind would only be
				// found stale (the value is no longer 0) by the next run.
				_ = journal.Remove()
			}
		}()
		failpoint.Hit(failpoint.BackupAOFRewritesHeld)
	}

	files, err = snapshotAOF(ctx, c, ep, src, dirName, baseName+".manifest", destDir)
	return files, err
}

// snapshotAOF waits for a quiet AOF and copies it, starting over when a
// file the manifest lists disappears under it (a rewrite someone started
// by hand replaced it).
func snapshotAOF(ctx context.Context, c *redis.Client, ep endpoint, src, dirName, manifestName, destDir string) ([]AOFFile, error) {
	for attempt := 1; ; attempt++ {
		info, err := waitNoRewrite(ctx, c, ep)
		if err != nil {
			return nil, err
		}
		if err := waitWritten(ctx, c, ep, info); err != nil {
			return nil, err
		}
		files, err := copyAOF(src, dirName, manifestName, destDir)
		switch {
		case err == nil:
			if err := syncDir(destDir); err != nil {
				return nil, fmt.Errorf("AOF snapshot: %w", err)
			}
			return files, nil
		case !errors.Is(err, errVanished):
			return nil, fmt.Errorf("AOF snapshot of %s: %w", src, err)
		case attempt == copyAttempts:
			return nil, fmt.Errorf("AOF snapshot of %s: %w (tried %d times); the AOF directory is damaged, or rewrites "+
				"keep replacing it (is someone running BGREWRITEAOF?)", src, err, copyAttempts)
		}
		if err := emptyDir(destDir); err != nil {
			return nil, fmt.Errorf("AOF snapshot: %w", err)
		}
	}
}

// waitNoRewrite waits until no AOF rewrite runs or is scheduled, and
// returns INFO persistence as it was then.
func waitNoRewrite(ctx context.Context, c *redis.Client, ep endpoint) (map[string]string, error) {
	return poll(ctx, c, func(info map[string]string) bool {
		return info["aof_rewrite_in_progress"] == "0" && info["aof_rewrite_scheduled"] == "0"
	}, func(last map[string]string, cause error) error {
		return ep.Errorf(cause, "waiting for the AOF rewrite on %s to end: %v (aof_rewrite_in_progress:%s "+
			"aof_rewrite_scheduled:%s aof_last_bgrewrite_status:%s); a large dataset needs more time, and a rewrite "+
			"that keeps failing is retried by Redis (its log says why)", ep.Addr(), cause,
			orUnknown(last["aof_rewrite_in_progress"]), orUnknown(last["aof_rewrite_scheduled"]),
			orUnknown(last["aof_last_bgrewrite_status"]))
	})
}

// waitWritten waits until the server has written to its AOF file every
// byte its AOF buffer held when start (INFO persistence) was read: the
// commands it has acknowledged are in the file or in that buffer, and with
// appendfsync everysec Redis holds the buffer back, for up to two seconds,
// while a background fsync is slow. aof_current_size grows by what is
// written; a rewrite that starts writes the whole buffer first.
func waitWritten(ctx context.Context, c *redis.Client, ep endpoint, start map[string]string) error {
	size, ok1 := redisinfo.Int(start, "aof_current_size")
	buffered, ok2 := redisinfo.Int(start, "aof_buffer_length")
	if !ok1 || !ok2 || buffered == 0 {
		return nil
	}
	target := size + buffered
	_, err := poll(ctx, c, func(info map[string]string) bool {
		if n, ok := redisinfo.Int(info, "aof_current_size"); ok && n >= target {
			return true
		}
		return info["aof_rewrites"] != start["aof_rewrites"] || info["aof_rewrite_in_progress"] == "1"
	}, func(last map[string]string, cause error) error {
		return ep.Errorf(cause, "waiting for %s to write its AOF buffer to the AOF file: %v (aof_current_size:%s, "+
			"want %d; aof_buffer_length:%s aof_last_write_status:%s); when the last write failed, the server's log says why",
			ep.Addr(), cause, orUnknown(last["aof_current_size"]), target, orUnknown(last["aof_buffer_length"]),
			orUnknown(last["aof_last_write_status"]))
	})
	return err
}

// copyAOF links or copies the manifest of the AOF directory src and the
// files it lists into destDir.
func copyAOF(src, dirName, manifestName, destDir string) ([]AOFFile, error) {
	manifestDst := filepath.Join(destDir, manifestName)
	if err := linkOrCopy(filepath.Join(src, manifestName), manifestDst); err != nil {
		if errors.Is(err, errVanished) {
			return nil, fmt.Errorf("no AOF manifest %s in %s: check the target's data_dir (or the server's dir) "+
				"and that the server has written its AOF: %w", manifestName, src, err)
		}
		return nil, err
	}
	content, err := os.ReadFile(manifestDst)
	if err != nil {
		return nil, err
	}
	entries, err := ParseAOFManifest(content)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(src, manifestName), err)
	}
	files := []AOFFile{{Path: manifestDst, Original: dirName + "/" + manifestName, Kind: KindAOFManifest}}
	lastIncr := -1
	for i, e := range entries {
		if e.Type == AOFIncr {
			lastIncr = i
		}
		if e.Name == manifestName {
			return nil, fmt.Errorf("%s lists the manifest itself as a data file", filepath.Join(src, manifestName))
		}
	}
	for _, want := range []byte{AOFBase, AOFIncr} {
		for i, e := range entries {
			if e.Type != want {
				continue
			}
			from, to := filepath.Join(src, e.Name), filepath.Join(destDir, e.Name)
			kind := KindAOFBase
			if e.Type == AOFIncr {
				kind = KindAOFIncr
			}
			if i == lastIncr {
				err = copyPrefix(from, to)
			} else {
				err = linkOrCopy(from, to)
			}
			if err != nil {
				return nil, err
			}
			files = append(files, AOFFile{Path: to, Original: dirName + "/" + e.Name, Kind: kind})
		}
	}
	if len(files) == 1 {
		return nil, fmt.Errorf("%s lists no base or incr file: there is nothing to restore from", filepath.Join(src, manifestName))
	}
	return files, nil
}

// linkOrCopy hard-links from to to, and copies it when the link is not
// possible (another file system, or one without hard links). A missing
// source is errVanished.
func linkOrCopy(from, to string) error {
	lerr := os.Link(from, to)
	if lerr == nil {
		return nil
	}
	if errors.Is(lerr, fs.ErrNotExist) {
		if _, err := os.Lstat(from); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", from, errVanished)
		}
	}
	return copyFile(from, to, -1)
}

// copyPrefix copies from to to as long as from is when the copy starts.
func copyPrefix(from, to string) error {
	return copyFile(from, to, 0)
}

// copyFile copies from into a new file to and syncs it. With limit 0 it
// copies as many bytes as from holds when it is opened; with a negative
// limit, everything.
func copyFile(from, to string, limit int64) (err error) {
	in, err := os.Open(from)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: %w", from, errVanished)
		}
		return err
	}
	defer in.Close()
	if limit == 0 {
		fi, err := in.Stat()
		if err != nil {
			return err
		}
		limit = fi.Size()
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if limit < 0 {
		_, err = io.Copy(out, in)
	} else {
		_, err = io.CopyN(out, in, limit)
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("copy %s: the file shrank while it was copied", from)
		}
	}
	if err != nil {
		return err
	}
	return out.Sync()
}

// syncDir flushes a directory's entries to the disk.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// emptyDir removes everything inside dir.
func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}
