// Package catalog knows every configuration directive of the supported Redis
// and Valkey releases: its type, allowed values, default, mutability and
// flags, and how to bring a value into the exact form CONFIG GET returns so
// that desired and live values can be compared as strings.
//
// The facts come from TSV files extracted from each release's src/config.c
// (see data/README.md), embedded into the binary.
package catalog

import (
	"bufio"
	"bytes"
	"embed"
	"fmt"
	"github.com/agext/levenshtein"
	"math/big"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

//go:embed data/*.tsv
var dataFS embed.FS

// release ties a catalog version to its data file.
type release struct {
	version string
	file    string
}

// releases lists the catalogs, oldest first. Versions and For read it; it is
// never modified.
var releases = [...]release{
	{"7.0", "data/redis70-config.tsv"},
	{"7.2", "data/redis72-config.tsv"},
	{"7.4", "data/redis74-config.tsv"},
	{"8.0", "data/redis80-config.tsv"},
	{"valkey-8.0", "data/valkey80-config.tsv"},
	{"valkey-8.1", "data/valkey81-config.tsv"},
}

// Versions returns the catalog versions, oldest Redis first and Valkey last:
// "7.0", "7.2", "7.4", "8.0", "valkey-8.0", "valkey-8.1".
func Versions() []string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = r.version
	}
	return out
}

// Catalog is the set of directives of one server release.
type Catalog struct {
	version string
	params  []*Param          // sorted by Name
	byName  map[string]*Param // lower-case primary names and aliases
}

// For returns the catalog for a server version.
//
// It accepts a catalog version ("7.0", "valkey-8.0") or a server release
// ("7.2.4", "redis 7.4.1", "valkey 8.0.1", "valkey-8.1"). A release uses
// the newest catalog not newer than it: 7.0.x and 7.1.x use 7.0, 7.2.x and
// 7.3.x use 7.2, 7.4.x to 7.9.x use 7.4, and 8.0 and anything newer use
// 8.0; Valkey 8.0.x uses valkey-8.0, and Valkey 8.1 and newer use
// valkey-8.1. Older releases are an error that names the supported
// versions.
func For(version string) (*Catalog, error) {
	v, err := resolve(version)
	if err != nil {
		return nil, err
	}
	for _, r := range releases {
		if r.version == v {
			return load(r)
		}
	}
	// resolve only returns versions listed in releases.
	return nil, fmt.Errorf("catalog: no data for version %s", v)
}

var versionRE = regexp.MustCompile(`^v?(\d+)\.(\d+)(?:\.\d+)?$`)

func resolve(version string) (string, error) {
	s := strings.ToLower(strings.TrimSpace(version))
	server := "redis"
	if rest, ok := strings.CutPrefix(s, "valkey"); ok {
		server, s = "valkey", rest
	} else if rest, ok := strings.CutPrefix(s, "redis"); ok {
		s = rest
	}
	s = strings.TrimLeft(s, " -")

	m := versionRE.FindStringSubmatch(s)
	if m == nil {
		return "", unsupported(version, "it is not a version number such as 7.2 or 7.2.4")
	}
	major, err1 := strconv.Atoi(m[1])
	minor, err2 := strconv.Atoi(m[2])
	if err1 != nil || err2 != nil {
		return "", unsupported(version, "it is not a version number such as 7.2 or 7.2.4")
	}

	if server == "valkey" {
		switch {
		case major < 8:
			return "", unsupported(version, "redisplan knows Valkey 8.0 and newer")
		case major == 8 && minor == 0:
			return "valkey-8.0", nil
		default:
			return "valkey-8.1", nil
		}
	}
	switch {
	case major < 7:
		return "", unsupported(version, "redisplan knows Redis 7.0 and newer")
	case major == 7 && minor < 2:
		return "7.0", nil
	case major == 7 && minor < 4:
		return "7.2", nil
	case major == 7:
		return "7.4", nil
	default:
		return "8.0", nil
	}
}

func unsupported(version, why string) error {
	return fmt.Errorf("unsupported server version %q: %s; use one of %s (or a release such as 7.2.4 or valkey-8.0.1)",
		version, why, strings.Join(Versions(), ", "))
}

// Version returns the catalog version, one of Versions.
func (c *Catalog) Version() string { return c.version }

// Lookup finds a directive by name, case-insensitively. An alias resolves to
// its primary Param (slaveof gives replicaof). Module directives (names with
// a dot) are never in the catalog.
func (c *Catalog) Lookup(name string) (*Param, bool) {
	p, ok := c.byName[strings.ToLower(name)]
	return p, ok
}

// Params returns every directive of the catalog, sorted by name. It includes
// the file-only and deprecated-ignored entries; filter on Type or Mode to
// keep only the parameters that CONFIG GET knows.
func (c *Catalog) Params() []*Param {
	return slices.Clone(c.params)
}

// Suggest returns the known name (primary or alias) closest to name, for a
// "Did you mean …?" hint, or "" when nothing is close enough. Closeness is
// the edit distance; it may be at most 2, or a quarter of the name's length
// for long names, and must be less than the name's length so that very
// short names do not get arbitrary suggestions.
func (c *Catalog) Suggest(name string) string {
	name = strings.ToLower(name)
	limit := min(max(2, len(name)/4), len(name)-1)
	if limit < 0 {
		return ""
	}
	best, bestDist, bestPrimary := "", limit+1, false
	for key, p := range c.byName {
		d := levenshtein.Distance(name, key, nil)
		primary := key == strings.ToLower(p.Name)
		better := d < bestDist ||
			(d == bestDist && primary && !bestPrimary) ||
			(d == bestDist && primary == bestPrimary && key < best)
		if better {
			best, bestDist, bestPrimary = key, d, primary
		}
	}
	if bestDist > limit {
		return ""
	}
	// Give the name with its catalog spelling (server_cpulist keeps its
	// underscore, all names are lower case).
	if p := c.byName[best]; strings.EqualFold(p.Name, best) {
		return p.Name
	} else if strings.EqualFold(p.Alias, best) {
		return p.Alias
	}
	return best
}

var header = []string{"name", "alias", "type", "allowed_or_range", "default", "immutable", "flags", "notes"}

// load parses one embedded TSV file.
func load(r release) (*Catalog, error) {
	data, err := dataFS.ReadFile(r.file)
	if err != nil {
		return nil, fmt.Errorf("catalog %s: %w", r.version, err)
	}
	c := &Catalog{version: r.version, byName: map[string]*Param{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	lineNo := 0
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		fields := strings.Split(line, "\t")
		if lineNo == 1 {
			if !slices.Equal(fields, header) {
				return nil, fmt.Errorf("catalog %s: %s: unexpected header %q", r.version, r.file, line)
			}
			continue
		}
		if line == "" {
			continue
		}
		p, err := parseRow(fields)
		if err != nil {
			return nil, fmt.Errorf("catalog %s: %s line %d: %w", r.version, r.file, lineNo, err)
		}
		if p == nil {
			continue
		}
		for _, name := range []string{p.Name, p.Alias} {
			if name == "" {
				continue
			}
			key := strings.ToLower(name)
			if _, dup := c.byName[key]; dup {
				return nil, fmt.Errorf("catalog %s: %s line %d: %q is defined twice", r.version, r.file, lineNo, name)
			}
			c.byName[key] = p
		}
		c.params = append(c.params, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("catalog %s: %w", r.version, err)
	}
	slices.SortFunc(c.params, func(a, b *Param) int { return strings.Compare(a.Name, b.Name) })
	return c, nil
}

// parseRow turns one TSV row into a Param. It returns nil for the row that
// documents module directives (<module>.<name>), which are not catalog
// entries.
func parseRow(f []string) (*Param, error) {
	if len(f) != len(header) {
		return nil, fmt.Errorf("want %d tab-separated fields, got %d", len(header), len(f))
	}
	name, alias, typ, allowed, def, immutable, flags, notes := f[0], f[1], Type(f[2]), f[3], f[4], f[5], f[6], f[7]
	if strings.Contains(name, ".") {
		return nil, nil
	}
	if name == "" {
		return nil, fmt.Errorf("empty name")
	}
	if !typ.valid() {
		return nil, fmt.Errorf("%s: unknown type %q", name, typ)
	}
	if immutable != "yes" && immutable != "no" {
		return nil, fmt.Errorf("%s: immutable must be yes or no, got %q", name, immutable)
	}
	p := &Param{
		Name:      name,
		Alias:     alias,
		Type:      typ,
		Default:   def,
		Immutable: immutable == "yes",
		Notes:     notes,
	}
	if flags != "" {
		p.Flags = strings.Split(flags, "|")
	}
	switch typ {
	case TypeBool, TypeEnum, TypeEnumMulti:
		p.Allowed = strings.Split(allowed, "|")
	case TypeInteger, TypeMemory, TypeMemoryOrPercent, TypeOctal:
		lo, hi, err := parseRange(allowed, typ == TypeOctal)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		p.Min, p.Max = lo, hi
	case TypeSpecial:
		if _, ok := specials[name]; !ok {
			return nil, fmt.Errorf("%s: no parser for this special directive", name)
		}
	}
	return p, nil
}

// parseRange reads "lo..hi", "lo..hi bytes", "lo..hi bytes or 0%..100%" and
// "0..777 (octal)".
func parseRange(s string, octal bool) (*big.Int, *big.Int, error) {
	s, _, _ = strings.Cut(s, " ")
	los, his, ok := strings.Cut(s, "..")
	if !ok {
		return nil, nil, fmt.Errorf("range %q is not lo..hi", s)
	}
	base := 10
	if octal {
		base = 8
	}
	lo, ok1 := new(big.Int).SetString(los, base)
	hi, ok2 := new(big.Int).SetString(his, base)
	if !ok1 || !ok2 || lo.Cmp(hi) > 0 {
		return nil, nil, fmt.Errorf("range %q is not lo..hi", s)
	}
	return lo, hi, nil
}
