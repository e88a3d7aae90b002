// Package relocate carries a Redis server's data files over to the names a
// new configuration gives them (dir, dbfilename, appenddirname,
// appendfilename), while the server is stopped.
//
// Redis 7 started with other names finds no files under them and starts
// EMPTY: no RDB named dbfilename in dir, no appendfilename.manifest in
// appenddirname. Carrying over hard-links (or, across file systems,
// copies) every file to its new name and writes the AOF manifest under its
// new name with the new file names in it. The old names stay until the new
// server has loaded the data, so that a failed restart can go back to
// them; Finish then removes only the old names that are proven to be the
// same file as a new one.
package relocate

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/redisplan/redisplan/executors/backup/capture"
	"github.com/redisplan/redisplan/internal/fsutil"
	"github.com/redisplan/redisplan/internal/redisconf"
)

// Names say where a server keeps its data. Dir is a path redisplan can
// reach (the target's data_dir when it sets one).
type Names struct {
	Dir            string
	DBFilename     string
	AppendDirname  string
	AppendFilename string
}

// Map gives the names as the directives a server reports them under;
// withDir leaves dir out when it is not a path on this host (data_dir).
func (n Names) Map(withDir bool) map[string]string {
	m := map[string]string{"dbfilename": n.DBFilename, "appenddirname": n.AppendDirname, "appendfilename": n.AppendFilename}
	if withDir {
		m["dir"] = n.Dir
	}
	return m
}

func (n Names) rdb() string      { return filepath.Join(n.Dir, n.DBFilename) }
func (n Names) aofDir() string   { return filepath.Join(n.Dir, n.AppendDirname) }
func (n Names) manifest() string { return filepath.Join(n.aofDir(), n.AppendFilename+".manifest") }

// Changed lists the settings that differ between from and to.
func Changed(from, to Names) []string {
	var out []string
	if filepath.Clean(from.Dir) != filepath.Clean(to.Dir) {
		out = append(out, "dir")
	}
	if from.DBFilename != to.DBFilename {
		out = append(out, "dbfilename")
	}
	if from.AppendDirname != to.AppendDirname {
		out = append(out, "appenddirname")
	}
	if from.AppendFilename != to.AppendFilename {
		out = append(out, "appendfilename")
	}
	return out
}

// move is one file to carry over.
type move struct {
	from, to string
	copied   bool // set by Do when a link was not possible
	done     bool
}

// Carry is the carrying over of one server's files, planned by Plan.
type Carry struct {
	from, to Names
	moves    []move
	// manifest is the new AOF manifest to write (nil without AOF), and
	// oldManifest the content it was made from.
	manifest    []byte
	oldManifest []byte
	wrote       bool
	madeDirs    []string
}

// Plan reads the files under the old names and checks that the new names
// are free; it changes nothing. aof says whether the server will load an
// AOF after the restart (appendonly yes), so that its manifest must be
// carried over. A file that does not exist is not carried: whether the
// restarted server holds its data is the restart's keyspace check.
func Plan(from, to Names, aof bool) (*Carry, error) {
	c := &Carry{from: from, to: to}
	if len(Changed(from, to)) == 0 {
		return c, nil
	}
	if !filepath.IsAbs(from.Dir) || !filepath.IsAbs(to.Dir) {
		return nil, fmt.Errorf("dir must be an absolute path to carry the files over (it is %q, to become %q)", from.Dir, to.Dir)
	}
	if st, err := os.Stat(from.Dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("the server's dir %s is not a directory here (%v): redisplan must run on the server's host, or set data_dir, to carry its files over", from.Dir, errOr(err, "not a directory"))
	}
	rdbMoves := from.rdb() != to.rdb()
	aofMoves := aof && from.manifest() != to.manifest()
	if _, err := os.Lstat(from.rdb()); err == nil && rdbMoves {
		c.moves = append(c.moves, move{from: from.rdb(), to: to.rdb()})
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	if aofMoves {
		content, err := os.ReadFile(from.manifest())
		switch {
		case err == nil:
			if err := c.planAOF(content); err != nil {
				return nil, err
			}
		case errors.Is(err, os.ErrNotExist):
		default:
			return nil, err
		}
	}
	for _, m := range c.moves {
		if m.from == m.to {
			continue
		}
		if _, err := os.Lstat(m.to); err == nil {
			return nil, fmt.Errorf("%s already exists and is not the server's: redisplan does not overwrite it; move it away, or choose another name", m.to)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if c.manifest != nil {
		if _, err := os.Lstat(to.manifest()); err == nil {
			return nil, fmt.Errorf("%s already exists and is not the server's: redisplan does not overwrite it; move it away, or choose another name", to.manifest())
		}
	}
	if _, err := os.Stat(filepath.Dir(to.Dir)); to.Dir != from.Dir && err != nil {
		return nil, fmt.Errorf("the new dir's parent %s does not exist: create it first", filepath.Dir(to.Dir))
	}
	return c, nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}

// planAOF adds the files an AOF manifest lists, renamed after the new
// appendfilename (Redis names them <appendfilename>.<seq>.base.rdb|aof and
// <appendfilename>.<seq>.incr.aof), and makes the new manifest, in the
// format Redis writes (aofInfoFormat: names quoted when they need it). A
// history entry whose file Redis already deleted is left out: it only
// tells Redis what to delete.
func (c *Carry) planAOF(content []byte) error {
	entries, err := capture.ParseAOFManifest(content)
	if err != nil {
		return fmt.Errorf("%s: %w", c.from.manifest(), err)
	}
	var b strings.Builder
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name, c.from.AppendFilename+".")
		if !ok {
			return fmt.Errorf("%s lists %s, which is not named after appendfilename %s, so redisplan cannot tell its new name", c.from.manifest(), e.Name, c.from.AppendFilename)
		}
		name := c.to.AppendFilename + "." + rest
		from, to := filepath.Join(c.from.aofDir(), e.Name), filepath.Join(c.to.aofDir(), name)
		if _, err := os.Lstat(from); err != nil {
			if e.Type == capture.AOFHistory && errors.Is(err, os.ErrNotExist) {
				continue // already deleted by Redis: nothing to keep
			}
			return fmt.Errorf("%s lists %s: %w", c.from.manifest(), e.Name, err)
		}
		c.moves = append(c.moves, move{from: from, to: to})
		fmt.Fprintf(&b, "file %s seq %d type %c\n", redisconf.Quote(name), e.Seq, e.Type)
	}
	c.manifest = []byte(b.String())
	c.oldManifest = content
	return nil
}

// Describe says what Do does, for messages.
func (c *Carry) Describe() string {
	if c == nil || (len(c.moves) == 0 && c.manifest == nil) {
		return "no data file to carry over"
	}
	// Grouped by directory pair: "in /data/appendonlydir: a -> b, c -> d".
	var groups []string
	byDirs := map[[2]string][]string{}
	for _, m := range c.moves {
		if m.from == m.to {
			continue
		}
		k := [2]string{filepath.Dir(m.from), filepath.Dir(m.to)}
		if _, ok := byDirs[k]; !ok {
			groups = append(groups, k[0]+"\x00"+k[1])
		}
		byDirs[k] = append(byDirs[k], fmt.Sprintf("%s -> %s", filepath.Base(m.from), filepath.Base(m.to)))
	}
	var parts []string
	for _, g := range groups {
		from, to, _ := strings.Cut(g, "\x00")
		where := "in " + from
		if from != to {
			where = fmt.Sprintf("from %s to %s", from, to)
		}
		parts = append(parts, fmt.Sprintf("%s: %s", where, strings.Join(byDirs[[2]string{from, to}], ", ")))
	}
	if c.manifest != nil {
		parts = append(parts, fmt.Sprintf("new manifest %s", c.to.manifest()))
	}
	return strings.Join(parts, "; ")
}

// Do links (or copies) every file to its new name and writes the new
// manifest. The old names are left alone. On failure it undoes what it did.
func (c *Carry) Do() error {
	if err := c.do(); err != nil {
		if uerr := c.Undo(); uerr != nil {
			return fmt.Errorf("%w (and undoing it failed: %v)", err, uerr)
		}
		return err
	}
	return nil
}

func (c *Carry) do() error {
	if len(c.moves) == 0 && c.manifest == nil {
		return nil
	}
	if err := c.mkdir(c.to.Dir, c.from.Dir); err != nil {
		return err
	}
	if c.manifest != nil {
		if err := c.mkdir(c.to.aofDir(), c.from.aofDir()); err != nil {
			return err
		}
	}
	for i := range c.moves {
		m := &c.moves[i]
		if m.from == m.to {
			continue
		}
		err := os.Link(m.from, m.to)
		if errors.Is(err, syscall.EXDEV) {
			err = copyFile(m.from, m.to)
			m.copied = true
		}
		if err != nil {
			return fmt.Errorf("carry %s over to %s: %w", m.from, m.to, err)
		}
		m.done = true
	}
	if c.manifest != nil {
		if err := fsutil.WriteFile(c.to.manifest(), c.manifest, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", c.to.manifest(), err)
		}
		c.wrote = true
		sameOwner(c.to.manifest(), c.from.manifest())
	}
	for _, d := range []string{c.to.Dir, c.to.aofDir()} {
		if err := fsutil.SyncDir(d); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// mkdir creates dir like model when it does not exist yet.
func (c *Carry) mkdir(dir, model string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	mode := os.FileMode(0o755)
	if st, err := os.Stat(model); err == nil {
		mode = st.Mode().Perm()
	}
	if err := os.Mkdir(dir, mode); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	c.madeDirs = append(c.madeDirs, dir)
	sameOwner(dir, model)
	return nil
}

// sameOwner gives path the owner of model, so that a redis user can
// write where root carried its files; not being allowed to is no error
// (the files are then already the caller's, as the server's are).
func sameOwner(path, model string) {
	st, err := os.Stat(model)
	if err != nil {
		return
	}
	if s, ok := st.Sys().(*syscall.Stat_t); ok {
		_ = os.Lchown(path, int(s.Uid), int(s.Gid))
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, st.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(to)
		return err
	}
	sameOwner(to, from)
	return out.Close()
}

// Undo removes what Do made: the new names it linked or copied (a link
// only while it is still the same file as its old name), the manifest it
// wrote (only while unchanged) and the directories it created (only when
// empty). What the new server wrote besides is left where it is.
func (c *Carry) Undo() error {
	var errs []error
	if c.wrote {
		if b, err := os.ReadFile(c.to.manifest()); err == nil && string(b) == string(c.manifest) {
			if err := os.Remove(c.to.manifest()); err != nil {
				errs = append(errs, err)
			}
		}
		c.wrote = false
	}
	for i := len(c.moves) - 1; i >= 0; i-- {
		m := &c.moves[i]
		if !m.done {
			continue
		}
		if !m.copied && !sameFile(m.from, m.to) {
			continue
		}
		if err := os.Remove(m.to); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		m.done = false
	}
	for i := len(c.madeDirs) - 1; i >= 0; i-- {
		_ = os.Remove(c.madeDirs[i]) // only succeeds when empty
	}
	c.madeDirs = nil
	return errors.Join(errs...)
}

// Finish removes the old names once the new server has loaded the data:
// each old name that is still the same file as its new one (a hard link
// made by Do), the old manifest while it still holds what Plan read, and
// the old AOF directory when that leaves it empty. Copies and anything
// else stay. It returns the paths removed and those left.
func (c *Carry) Finish() (removed, left []string) {
	for _, m := range c.moves {
		if !m.done || m.from == m.to {
			continue
		}
		if m.copied || !sameFile(m.from, m.to) {
			left = append(left, m.from)
			continue
		}
		if os.Remove(m.from) == nil {
			removed = append(removed, m.from)
		}
	}
	if c.manifest != nil && c.from.manifest() != c.to.manifest() {
		if b, err := os.ReadFile(c.from.manifest()); err == nil && string(b) == string(c.oldManifest) {
			if os.Remove(c.from.manifest()) == nil {
				removed = append(removed, c.from.manifest())
			}
		} else if err == nil {
			left = append(left, c.from.manifest())
		}
		if c.from.aofDir() != c.to.aofDir() && os.Remove(c.from.aofDir()) == nil {
			removed = append(removed, c.from.aofDir())
		}
	}
	return removed, left
}

func sameFile(a, b string) bool {
	sa, err := os.Lstat(a)
	if err != nil {
		return false
	}
	sb, err := os.Lstat(b)
	if err != nil {
		return false
	}
	return os.SameFile(sa, sb)
}
