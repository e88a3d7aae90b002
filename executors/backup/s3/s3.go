// Package s3 keeps backups in an S3-compatible object store.
//
// Layout under the store's prefix:
//
//	ROOT/ID/manifest.json        the manifest of a complete backup; its
//	                             x-amz-meta-redisplan-run names the run
//	                             whose artifacts it describes
//	ROOT/ID/RUN/NAME             the artifacts written by run RUN, and
//	                             the notes (WriteNote) of the committed run
//	ROOT/ID/RUN.owner            the owner record (backup.Owner) of run
//	                             RUN while it writes or is deleted
//
// Object stores have no rename, so a run writes its artifacts under a
// prefix of its own and Commit publishes them by writing the manifest
// last: a backup is visible exactly when its manifest exists, and two runs
// of one ID never overwrite each other's artifacts. The manifest is
// written with If-None-Match: * where the server supports it, so that
// two concurrent commits of one ID cannot both succeed.
//
// Artifacts are streamed: each is a multipart upload fed through a pipe,
// with a part size chosen from the expected size (PartSize), so that a
// large RDB is never held in memory and stays within S3's 10,000 parts.
//
// Live or dead: a run's owner object is written before any of its
// artifacts and removed after them, and Delete writes one before it
// removes anything, so that everything redisplan leaves behind has one.
// It records the run, pid, process start time and host name of the
// process. Clean removes a run (its objects and its incomplete multipart
// uploads) only when its owner record parses and names a process that is
// gone (backup.Owner.Gone): on this host, its pid no longer runs or runs
// with another start time; on another host, which cannot be asked, the
// run began more than backup.StaleAfter ago. Objects that neither a
// manifest nor an owner record claims are never removed; Foreign lists
// them.
package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/redisplan/redisplan/executors/backup"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/s3url"
	"github.com/redisplan/redisplan/internal/secret"
)

// Scheme is the destination prefix that selects this backend.
const Scheme = s3url.Scheme

const (
	ownerSuffix = ".owner"
	runMetaKey  = "Redisplan-Run" // user metadata of the manifest
	// runBytes is the length of a run's random name (16 hex digits).
	runBytes = 8
	// minPartSize is the smallest part redisplan uploads: 16 MiB parts
	// make 10,000 parts reach 156 GiB, and cost 16 MiB of memory per
	// artifact being written.
	minPartSize = 16 << 20
	maxPartSize = 5 << 30
	maxParts    = 10000
)

var (
	_ backup.Storage = (*Store)(nil)
	_ backup.Pending = (*pending)(nil)
	_ backup.Sized   = (*pending)(nil)
)

// Config says how to reach the bucket: a destination and the spec's s3
// settings. Empty credentials are taken from the standard chain (see
// credentials.go): the AWS environment variables, the shared credentials
// file, a web identity, the container or instance role.
type Config struct {
	// Destination is s3://BUCKET[/PREFIX].
	Destination string
	model.S3
}

// ParseDestination splits s3://BUCKET/PREFIX. The prefix is returned
// without leading or trailing slashes.
func ParseDestination(dest string) (bucket, prefix string, err error) {
	bucket, prefix, err = s3url.Parse(dest)
	if err != nil {
		return "", "", fmt.Errorf("destination %q: %w", dest, err)
	}
	return bucket, prefix, nil
}

// Store is a prefix of a bucket holding backups.
type Store struct {
	client *minio.Client
	bucket string
	root   string // the prefix with a trailing slash, or ""
	sse    encrypt.ServerSide
	// secrets are replaced in every error message, whatever the server
	// or the client library put in it.
	secrets secret.Set
}

// New opens the store cfg names. It makes no request: a wrong endpoint
// or credential shows in the first operation.
func New(cfg Config) (*Store, error) {
	bucket, prefix, err := ParseDestination(cfg.Destination)
	if err != nil {
		return nil, err
	}
	s := &Store{bucket: bucket}
	if prefix != "" {
		s.root = prefix + "/"
	}
	creds, err := resolveCredentials(cfg)
	if err != nil {
		return nil, err
	}
	if v, err := creds.GetWithContext(nil); err == nil {
		s.secrets = s.secrets.With(v.AccessKeyID, v.SecretAccessKey, v.SessionToken)
	}
	s.secrets = s.secrets.With(cfg.AccessKey, cfg.SecretKey)
	host, secure, err := s3url.ParseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	region := cfg.Region
	for _, env := range []string{"AWS_REGION", "AWS_DEFAULT_REGION"} {
		if region == "" {
			region = os.Getenv(env)
		}
	}
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	switch cfg.SSE {
	case "":
	case "AES256":
		s.sse = encrypt.NewSSE()
	case "aws:kms":
		if s.sse, err = encrypt.NewSSEKMS("", nil); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("sse %q: use \"AES256\" or \"aws:kms\"", cfg.SSE)
	}
	s.client, err = minio.New(host, &minio.Options{Creds: creds, Secure: secure, Region: region, BucketLookup: lookup})
	if err != nil {
		return nil, s.clean(fmt.Errorf("s3 client for %s: %w", host, err))
	}
	return s, nil
}

// clean removes every credential from err's message; errors.Is still
// reaches fs.ErrNotExist and backup.ErrExists through it.
func (s *Store) clean(err error) error {
	return s.secrets.Wrap(err)
}

// Destination names the store for messages: s3://bucket/prefix.
func (s *Store) Destination() string {
	return Scheme + s.bucket + "/" + strings.TrimSuffix(s.root, "/")
}

func (s *Store) manifestKey(id string) string { return s.root + id + "/" + backup.ManifestName }
func (s *Store) runPrefix(id, run string) string {
	return s.root + id + "/" + run + "/"
}
func (s *Store) ownerKey(id, run string) string { return s.root + id + "/" + run + ownerSuffix }

// errorResponse is the server's answer in err, found through wrappers
// (clean's redaction among them), which minio.ToErrorResponse does not
// look through.
func errorResponse(err error) minio.ErrorResponse {
	var r minio.ErrorResponse
	if errors.As(err, &r) {
		return r
	}
	return minio.ToErrorResponse(err)
}

func notFound(err error) bool {
	resp := errorResponse(err)
	return resp.StatusCode == http.StatusNotFound || resp.Code == "NoSuchKey"
}

// List returns the IDs of complete backups, oldest first: those whose
// manifest exists.
func (s *Store) List(ctx context.Context) ([]string, error) {
	objs, err := s.listAll(ctx, s.root)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	var ids []string
	for _, o := range objs {
		id, rest, ok := strings.Cut(strings.TrimPrefix(o.Key, s.root), "/")
		if ok && rest == backup.ManifestName && backup.CheckID(id) == nil {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func (s *Store) listAll(ctx context.Context, prefix string) ([]minio.ObjectInfo, error) {
	var out []minio.ObjectInfo
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			return nil, s.clean(o.Err)
		}
		out = append(out, o)
	}
	return out, nil
}

// committedRun returns the run a complete backup's manifest names, or
// fs.ErrNotExist.
func (s *Store) committedRun(ctx context.Context, id string) (string, error) {
	info, err := s.client.StatObject(ctx, s.bucket, s.manifestKey(id), minio.StatObjectOptions{})
	if err != nil {
		if notFound(err) {
			return "", fmt.Errorf("no such backup: %w", fs.ErrNotExist)
		}
		return "", s.clean(err)
	}
	run := info.Metadata.Get("X-Amz-Meta-" + runMetaKey)
	if run == "" {
		run = info.UserMetadata[runMetaKey]
	}
	if !validRun(run) {
		return "", fmt.Errorf("the manifest of backup %s names no run (was it written by another tool?)", id)
	}
	return run, nil
}

// validRun reports whether r has the form of a run's name.
func validRun(r string) bool { return backup.ValidRun(r, runBytes) }

// Begin starts backup id as a new run.
func (s *Store) Begin(ctx context.Context, id string) (backup.Pending, error) {
	if err := backup.CheckID(id); err != nil {
		return nil, fmt.Errorf("begin backup: %w", err)
	}
	if err := s.refuseExisting(ctx, id); err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	run, err := backup.NewRun(runBytes)
	if err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	if err := s.put(ctx, s.ownerKey(id, run), backup.NewOwner(run, "backup").Marshal(), minio.PutObjectOptions{}); err != nil {
		return nil, fmt.Errorf("begin backup %s: %w", id, err)
	}
	return &pending{store: s, run: run, files: backup.Artifacts[*writer]{ID: id}}, nil
}

func (s *Store) put(ctx context.Context, key string, data []byte, opts minio.PutObjectOptions) error {
	opts.ServerSideEncryption = s.sse
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	return s.clean(err)
}

func (s *Store) refuseExisting(ctx context.Context, id string) error {
	_, err := s.client.StatObject(ctx, s.bucket, s.manifestKey(id), minio.StatObjectOptions{})
	switch {
	case err == nil:
		return fmt.Errorf("%w: %s%s", backup.ErrExists, s.Destination(), "/"+id)
	case notFound(err):
		return nil
	default:
		return s.clean(err)
	}
}

// Open reads one artifact (or the manifest) of a complete backup. A
// missing backup or artifact gives an error that wraps fs.ErrNotExist.
func (s *Store) Open(ctx context.Context, id, name string) (io.ReadCloser, error) {
	if err := backup.CheckID(id); err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if err := backup.CheckName(name); err != nil {
		return nil, fmt.Errorf("open backup %s: %w", id, err)
	}
	key := s.manifestKey(id)
	if name != backup.ManifestName {
		run, err := s.committedRun(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("open backup %s: %w", id, err)
		}
		key = s.runPrefix(id, run) + name
	}
	// SSE-S3 and SSE-KMS objects are decrypted by the server without a
	// header on GET (only SSE-C needs one, which redisplan does not use).
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err == nil {
		// GetObject is lazy: Stat makes the request and reports a
		// missing object.
		_, err = obj.Stat()
	}
	if err != nil {
		if obj != nil {
			obj.Close()
		}
		if notFound(err) {
			return nil, fmt.Errorf("open backup %s: %s: %w", id, name, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("open backup %s: %s: %w", id, name, s.clean(err))
	}
	return obj, nil
}

// Delete removes a complete backup: it writes an owner record for its
// run, removes the manifest, so that the backup disappears at once, then
// the run's artifacts and last the record. An interrupted Delete leaves
// artifacts that the record claims, which Clean removes once this process
// is gone.
func (s *Store) Delete(ctx context.Context, id string) error {
	if err := backup.CheckID(id); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	run, err := s.committedRun(ctx, id)
	if err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	// An owner record first: once the manifest is gone, it is what proves
	// that the artifacts left by an interrupted deletion are redisplan's.
	if err := s.put(ctx, s.ownerKey(id, run), backup.NewOwner(run, "delete").Marshal(), minio.PutObjectOptions{}); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.manifestKey(id), minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, s.clean(err))
	}
	if err := s.removeRun(ctx, id, run); err != nil {
		return fmt.Errorf("delete backup %s: %w", id, err)
	}
	return nil
}

// removeRun removes a run's artifacts, its incomplete uploads and its
// owner object, the owner last: while it exists, a Clean elsewhere treats
// the rest as the owner's.
func (s *Store) removeRun(ctx context.Context, id, run string) error {
	prefix := s.runPrefix(id, run)
	objs, err := s.listAll(ctx, prefix)
	if err != nil {
		return err
	}
	for _, o := range objs {
		if err := s.client.RemoveObject(ctx, s.bucket, o.Key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
			return s.clean(err)
		}
	}
	if err := s.removeUploads(ctx, prefix); err != nil {
		return err
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.ownerKey(id, run), minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
		return s.clean(err)
	}
	return nil
}

// removeUploads aborts every incomplete multipart upload under prefix.
func (s *Store) removeUploads(ctx context.Context, prefix string) error {
	keys := map[string]bool{}
	for u := range s.client.ListIncompleteUploads(ctx, s.bucket, prefix, true) {
		if u.Err != nil {
			return s.clean(u.Err)
		}
		keys[u.Key] = true
	}
	for k := range keys {
		if err := s.client.RemoveIncompleteUpload(ctx, s.bucket, k); err != nil && !notFound(err) {
			return s.clean(err)
		}
	}
	return nil
}

// runState is what Clean finds of one run.
type runState struct {
	id, run   string
	owner     *minio.ObjectInfo
	hasUpload bool
}

// Clean removes the runs whose owner record parses and names a process
// that is gone (pending runs that died, interrupted deletions), with their
// incomplete multipart uploads, and returns how many runs it removed. A
// run whose owner is alive is never touched, nor are objects without an
// owner record; incomplete uploads under a committed run (its manifest
// names it) are aborted, the backup itself is kept.
func (s *Store) Clean(ctx context.Context) (int, error) {
	runs, err := s.runs(ctx, true)
	if err != nil {
		return 0, fmt.Errorf("clean backups: %w", err)
	}
	committed := map[string]string{}
	removed := 0
	now := time.Now()
	for _, r := range runs {
		if err := ctx.Err(); err != nil {
			return removed, err
		}
		if r.owner == nil {
			if !r.hasUpload {
				continue
			}
			// When its writers all closed before the commit, an upload
			// left under it is garbage, but the backup itself is
			// complete.
			if _, err := s.tidyCommitted(ctx, committed, r); err != nil {
				return removed, fmt.Errorf("clean backups: %w", err)
			}
			continue
		}
		o, ok, err := s.readOwner(ctx, r.owner.Key, r.run)
		if err != nil {
			return removed, fmt.Errorf("clean backups: %w", err)
		}
		if !ok || !o.Gone(now) {
			continue
		}
		complete, err := s.tidyCommitted(ctx, committed, r)
		if err != nil {
			return removed, fmt.Errorf("clean backups: %w", err)
		}
		if complete {
			// The manifest names this run: a commit whose owner record
			// was not removed, or a deletion killed before it removed
			// the manifest. The backup is complete; only the record
			// and any stray upload go.
			if err := s.client.RemoveObject(ctx, s.bucket, r.owner.Key, minio.RemoveObjectOptions{}); err != nil && !notFound(err) {
				return removed, fmt.Errorf("clean backups: %w", s.clean(err))
			}
			continue
		}
		if err := s.removeRun(ctx, r.id, r.run); err != nil {
			return removed, fmt.Errorf("clean backups: %w", err)
		}
		removed++
	}
	return removed, nil
}

// tidyCommitted reports whether r is the run the manifest of its backup
// names (committed caches the manifests read), and then removes the
// incomplete uploads left under it: the backup is complete without them.
func (s *Store) tidyCommitted(ctx context.Context, committed map[string]string, r *runState) (bool, error) {
	run, err := s.committedRunCached(ctx, committed, r.id)
	if err != nil || run != r.run {
		return false, err
	}
	return true, s.removeUploads(ctx, s.runPrefix(r.id, r.run))
}

// runs finds every run under the root: those with an owner object or
// objects of their own, and, with uploads, those with incomplete multipart
// uploads. They come sorted by ID and run.
func (s *Store) runs(ctx context.Context, uploads bool) ([]*runState, error) {
	objs, err := s.listAll(ctx, s.root)
	if err != nil {
		return nil, err
	}
	runs := map[[2]string]*runState{}
	get := func(id, run string) *runState {
		k := [2]string{id, run}
		if runs[k] == nil {
			runs[k] = &runState{id: id, run: run}
		}
		return runs[k]
	}
	for i, o := range objs {
		id, rest, ok := strings.Cut(strings.TrimPrefix(o.Key, s.root), "/")
		if !ok || backup.CheckID(id) != nil {
			continue
		}
		if r, ok := strings.CutSuffix(rest, ownerSuffix); ok && validRun(r) {
			get(id, r).owner = &objs[i]
		} else if r, _, ok := strings.Cut(rest, "/"); ok && validRun(r) {
			get(id, r)
		}
	}
	if uploads {
		for u := range s.client.ListIncompleteUploads(ctx, s.bucket, s.root, true) {
			if u.Err != nil {
				return nil, s.clean(u.Err)
			}
			id, rest, ok := strings.Cut(strings.TrimPrefix(u.Key, s.root), "/")
			if r, _, ok2 := strings.Cut(rest, "/"); ok && ok2 && backup.CheckID(id) == nil && validRun(r) {
				get(id, r).hasUpload = true
			}
		}
	}
	out := make([]*runState, 0, len(runs))
	for _, r := range runs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].id != out[j].id {
			return out[i].id < out[j].id
		}
		return out[i].run < out[j].run
	})
	return out, nil
}

// committedRunCached is committedRun with a cache; "" when the ID has no
// manifest.
func (s *Store) committedRunCached(ctx context.Context, cache map[string]string, id string) (string, error) {
	if run, ok := cache[id]; ok {
		return run, nil
	}
	run, err := s.committedRun(ctx, id)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	cache[id] = run
	return run, nil
}

// readOwner reads the owner record at key for run. ok is false when it is
// not one redisplan wrote for that run (or was removed meanwhile).
func (s *Store) readOwner(ctx context.Context, key, run string) (o backup.Owner, ok bool, err error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return backup.Owner{}, false, s.clean(err)
	}
	data, err := io.ReadAll(io.LimitReader(obj, 1<<16))
	obj.Close()
	if err != nil {
		if notFound(err) {
			return backup.Owner{}, false, nil // committed or removed meanwhile
		}
		return backup.Owner{}, false, s.clean(err)
	}
	o, perr := backup.ParseOwner(data, run)
	return o, perr == nil, nil
}

// Foreign lists the objects under the root that no manifest and no owner
// record claims, grouped by their first path element (for a backup ID,
// the first two): backups of another tool put there, runs that an older
// redisplan left without an owner record. None of them is ever removed.
func (s *Store) Foreign(ctx context.Context) ([]backup.Foreign, error) {
	objs, err := s.listAll(ctx, s.root)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	committed := map[string]string{}
	owners := map[[2]string]bool{}
	counts := map[string]int{}
	whys := map[string]string{}
	add := func(name, why string) {
		counts[name]++
		whys[name] = why
	}
	for _, o := range objs {
		rel := strings.TrimPrefix(o.Key, s.root)
		id, rest, ok := strings.Cut(rel, "/")
		if !ok {
			add(rel, "not a backup")
			continue
		}
		if backup.CheckID(id) != nil {
			add(id+"/", "not a backup")
			continue
		}
		if rest == backup.ManifestName {
			continue
		}
		crun, err := s.committedRunCached(ctx, committed, id)
		if err != nil {
			return nil, fmt.Errorf("list backups: %w", err)
		}
		// Where an unclaimed object is reported: under a backup, by its
		// first element; elsewhere, with its whole folder.
		group := func(first string, deeper bool) string {
			if crun == "" {
				return id + "/"
			}
			if deeper {
				return id + "/" + first + "/"
			}
			return id + "/" + first
		}
		first, _, deeper := strings.Cut(rest, "/")
		run, isOwner := strings.CutSuffix(rest, ownerSuffix)
		switch {
		case !deeper && isOwner && validRun(run):
			_, ok, err := s.readOwner(ctx, o.Key, run)
			if err != nil {
				return nil, fmt.Errorf("list backups: %w", err)
			}
			owners[[2]string{id, run}] = ok
			if !ok {
				add(group(rest, false), "not an owner record redisplan wrote")
			}
			continue
		case !deeper || !validRun(first):
			add(group(first, deeper), "not a backup")
			continue
		case crun == first:
			continue
		}
		k := [2]string{id, first}
		if _, seen := owners[k]; !seen {
			_, ok, err := s.readOwner(ctx, s.ownerKey(id, first), first)
			if err != nil {
				return nil, fmt.Errorf("list backups: %w", err)
			}
			owners[k] = ok
		}
		if owners[k] {
			continue
		}
		add(group(first, true), "a run without an owner record or manifest: an older redisplan's interrupted "+
			"deletion, or not redisplan's; remove it by hand when no backup runs")
	}
	out := make([]backup.Foreign, 0, len(counts))
	for name, n := range counts {
		why := whys[name]
		if strings.HasSuffix(name, "/") {
			why = fmt.Sprintf("%s; %d object%s", why, n, map[bool]string{true: "", false: "s"}[n == 1])
		}
		out = append(out, backup.Foreign{Name: name, Why: why})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// PartSize is the multipart part size for an artifact expected to be
// about expected bytes (0 when unknown): at least 16 MiB, and large
// enough that three times the expected size fits in 10,000 parts, so that
// an artifact larger than its estimate (an AOF grown since INFO, an RDB
// that compresses badly) still fits. The whole part is held in memory
// while it uploads, so it is no larger than it must be.
func PartSize(expected int64) uint64 {
	size := int64(minPartSize)
	if expected > 0 {
		need := (3*expected + maxParts - 1) / maxParts
		// Round up to a whole MiB.
		need = (need + 1<<20 - 1) &^ (1<<20 - 1)
		size = max(size, need)
	}
	return uint64(min(size, maxPartSize))
}

// pending is one run of a backup being written.
type pending struct {
	store *Store
	run   string
	files backup.Artifacts[*writer]
}

// Create writes one artifact whose size is not known in advance.
func (p *pending) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	return p.CreateSized(ctx, name, 0)
}

// CreateSized writes one artifact as a multipart upload whose part size
// is chosen from its expected size. The upload completes, and the data is
// stored, before Close returns.
func (p *pending) CreateSized(ctx context.Context, name string, expected int64) (io.WriteCloser, error) {
	w, err := p.files.Create(name, func() (*writer, error) {
		wctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		w := &writer{p: p, name: name, pw: pw, cancel: cancel, done: make(chan struct{})}
		key := p.store.runPrefix(p.files.ID, p.run) + name
		opts := minio.PutObjectOptions{
			PartSize:             PartSize(expected),
			ServerSideEncryption: p.store.sse,
			ContentType:          "application/octet-stream",
		}
		go func() {
			defer close(w.done)
			info, err := p.store.client.PutObject(wctx, p.store.bucket, key, pr, -1, opts)
			// Unblock a writer still writing when the upload fails.
			pr.CloseWithError(errors.Join(err, errors.New("upload ended")))
			w.uploaded, w.err = info.Size, p.store.clean(err)
		}()
		return w, nil
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// writer is what CreateSized returns: writes go through a pipe to the
// upload running in its own goroutine.
type writer struct {
	p      *pending
	name   string
	pw     *io.PipeWriter
	cancel context.CancelFunc
	done   chan struct{}
	n      int64

	uploaded int64 // set by the upload goroutine before done closes
	err      error
	closed   bool
}

func (w *writer) Write(b []byte) (int, error) {
	n, err := w.pw.Write(b)
	w.n += int64(n)
	if err != nil {
		<-w.done
		if w.err != nil {
			err = w.err
		}
	}
	return n, err
}

// Close ends the data and waits for the upload to complete. The artifact
// counts as written only when the server holds every byte.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.pw.Close()
	<-w.done
	w.cancel()
	err := w.err
	if err == nil && w.uploaded != w.n {
		err = fmt.Errorf("the server stored %d bytes of %d", w.uploaded, w.n)
	}
	return w.p.files.Close(w.name, w, w.n, "upload", err)
}

// Commit checks that every artifact m lists was written with the size it
// records, then writes the manifest, which makes the backup visible. It
// fails with backup.ErrExists when the ID is already complete.
func (p *pending) Commit(ctx context.Context, m *backup.Manifest) error {
	refuse := func() error { return p.store.refuseExisting(ctx, p.files.ID) }
	err := p.files.Commit(ctx, m, refuse, func(data []byte) error {
		opts := minio.PutObjectOptions{
			ContentType:  "application/json",
			UserMetadata: map[string]string{runMetaKey: p.run},
		}
		// Refused by the server when another run committed this ID since
		// the check above.
		cond := opts
		cond.SetMatchETagExcept("*")
		err := p.store.put(ctx, p.store.manifestKey(p.files.ID), data, cond)
		if r := errorResponse(err); err != nil && (r.StatusCode == http.StatusNotImplemented || r.Code == "NotImplemented") {
			// A server without conditional writes: the check above is
			// what guards the ID, as on stores from before they existed.
			err = p.store.put(ctx, p.store.manifestKey(p.files.ID), data, opts)
		}
		if err != nil {
			if r := errorResponse(err); r.StatusCode == http.StatusPreconditionFailed || r.Code == "PreconditionFailed" {
				return fmt.Errorf("commit backup %s: %w", p.files.ID, backup.ErrExists)
			}
			return fmt.Errorf("commit backup %s: %w", p.files.ID, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The backup is complete. A leftover owner object would only make
	// Clean look at the run and find it committed, so a failure to remove
	// it is not a failure of the commit.
	_ = p.store.client.RemoveObject(context.WithoutCancel(ctx), p.store.bucket, p.store.ownerKey(p.files.ID, p.run), minio.RemoveObjectOptions{})
	return nil
}

// Abort stops the uploads still running and removes everything the run
// wrote. After a successful Commit it does nothing, so that it can be
// deferred.
func (p *pending) Abort(ctx context.Context) error {
	open, ok := p.files.Discard()
	if !ok {
		return nil
	}
	for _, w := range open {
		w.cancel()
		w.pw.CloseWithError(errors.New("backup aborted"))
		<-w.done
	}
	if err := p.store.removeRun(ctx, p.files.ID, p.run); err != nil {
		return fmt.Errorf("abort backup %s: %w", p.files.ID, err)
	}
	return nil
}

// WriteNote writes a note as an object beside the artifacts of the
// backup's committed run (one PUT: atomic), where Open reads it and
// Delete removes it with the run.
func (s *Store) WriteNote(ctx context.Context, id, name string, data []byte) error {
	if err := backup.CheckNote(id, name); err != nil {
		return err
	}
	run, err := s.committedRun(ctx, id)
	if err != nil {
		return fmt.Errorf("write note of backup %s: %w", id, err)
	}
	if err := s.put(ctx, s.runPrefix(id, run)+name, data, minio.PutObjectOptions{ContentType: "application/json"}); err != nil {
		return fmt.Errorf("write note of backup %s: %w", id, err)
	}
	return nil
}

// Size returns the stored size of one artifact of a complete backup from
// its object's metadata; a missing one gives an error that wraps
// fs.ErrNotExist.
func (s *Store) Size(ctx context.Context, id, name string) (int64, error) {
	if err := backup.CheckID(id); err != nil {
		return 0, fmt.Errorf("size: %w", err)
	}
	if err := backup.CheckName(name); err != nil {
		return 0, fmt.Errorf("size in backup %s: %w", id, err)
	}
	key := s.manifestKey(id)
	if name != backup.ManifestName {
		run, err := s.committedRun(ctx, id)
		if err != nil {
			return 0, fmt.Errorf("size in backup %s: %w", id, err)
		}
		key = s.runPrefix(id, run) + name
	}
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		if notFound(err) {
			return 0, fmt.Errorf("size in backup %s: %s: %w", id, name, fs.ErrNotExist)
		}
		return 0, fmt.Errorf("size in backup %s: %s: %w", id, name, s.clean(err))
	}
	return info.Size, nil
}

// Objects lists the objects directly under the root (not in a deeper
// folder), by name: a kind kept beside the backups in a folder of its own
// (the archive's segments), opened as a Store of its own.
func (s *Store) Objects(ctx context.Context) ([]backup.Object, error) {
	var out []backup.Object
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.root}) {
		if o.Err != nil {
			return nil, s.clean(o.Err)
		}
		name := strings.TrimPrefix(o.Key, s.root)
		if name == "" || strings.Contains(name, "/") {
			continue
		}
		out = append(out, backup.Object{Name: name, Size: o.Size, Modified: o.LastModified})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ReadObject reads the object name under the root. A missing object gives
// an error that wraps fs.ErrNotExist.
func (s *Store) ReadObject(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := backup.CheckName(name); err != nil || strings.Contains(name, "/") {
		return nil, fmt.Errorf("read object %q: not a plain name", name)
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.root+name, minio.GetObjectOptions{})
	if err == nil {
		_, err = obj.Stat()
	}
	if err != nil {
		if notFound(err) {
			return nil, fmt.Errorf("read object %s: %w", name, fs.ErrNotExist)
		}
		return nil, s.clean(err)
	}
	return obj, nil
}

// PutObject stores data as the object name under the root in one PUT:
// the object appears whole or not at all.
func (s *Store) PutObject(ctx context.Context, name string, data []byte) error {
	if err := backup.CheckName(name); err != nil || strings.Contains(name, "/") {
		return fmt.Errorf("put object %q: not a plain name", name)
	}
	return s.put(ctx, s.root+name, data, minio.PutObjectOptions{DisableMultipart: true})
}

// DeleteObject removes the object name under the root; a missing one is
// not an error.
func (s *Store) DeleteObject(ctx context.Context, name string) error {
	if err := backup.CheckName(name); err != nil || strings.Contains(name, "/") {
		return fmt.Errorf("delete object %q: not a plain name", name)
	}
	return s.clean(s.client.RemoveObject(ctx, s.bucket, s.root+name, minio.RemoveObjectOptions{}))
}
