package catalog

import (
	"math/big"
	"slices"

	"github.com/redisplan/redisplan/internal/model"
)

// Type is the kind of value a directive takes, as named in the catalog data.
type Type string

const (
	TypeBool              Type = "bool"
	TypeString            Type = "string"
	TypeSDS               Type = "sds"
	TypeEnum              Type = "enum"
	TypeEnumMulti         Type = "enum-multi"
	TypeInteger           Type = "integer"
	TypeMemory            Type = "memory"
	TypeMemoryOrPercent   Type = "memory-or-percent"
	TypeOctal             Type = "octal"
	TypeSpecial           Type = "special"
	TypeFileOnly          Type = "file-only"
	TypeDeprecatedIgnored Type = "deprecated-ignored"
)

func (t Type) valid() bool {
	switch t {
	case TypeBool, TypeString, TypeSDS, TypeEnum, TypeEnumMulti, TypeInteger, TypeMemory,
		TypeMemoryOrPercent, TypeOctal, TypeSpecial, TypeFileOnly, TypeDeprecatedIgnored:
		return true
	}
	return false
}

// Param is one configuration directive of one release.
type Param struct {
	Name  string // primary name
	Alias string // the other accepted name, "" when none
	Type  Type

	// Allowed lists the accepted values of bool, enum and enum-multi
	// directives, in the server's table order.
	Allowed []string

	// Min and Max bound integer, memory, memory-or-percent and octal
	// directives (in bytes for memory; the percent range of
	// memory-or-percent is always 0..100). Both are nil for other types.
	// Do not modify them.
	Min, Max *big.Int

	Default   string   // exactly what CONFIG GET returns by default
	Immutable bool     // CONFIG SET refuses it; a restart applies it
	Flags     []string // IMMUTABLE, PROTECTED, HIDDEN, SENSITIVE, MULTI_ARG, ...
	Notes     string   // parsing and read-back details
}

// HasFlag reports whether the directive carries the flag, such as "MULTI_ARG".
func (p *Param) HasFlag(flag string) bool {
	return slices.Contains(p.Flags, flag)
}

// Mode says how a change is applied: FileOnly for file-only and
// deprecated-ignored directives, Restart for immutable ones, Protected for
// PROTECTED ones and Live for the rest.
func (p *Param) Mode() model.Mode {
	switch {
	case p.Type == TypeFileOnly || p.Type == TypeDeprecatedIgnored:
		return model.FileOnly
	case p.Immutable:
		return model.Restart
	case p.HasFlag("PROTECTED"):
		return model.Protected
	}
	return model.Live
}

// Sensitive reports whether the value is a secret (requirepass, masterauth,
// masteruser, and from 7.4 the tls-*-pass directives). CONFIG GET still
// returns such values in clear text, so callers must mask them.
func (p *Param) Sensitive() bool { return p.HasFlag("SENSITIVE") }

// Hidden reports whether CONFIG GET with a pattern skips the directive; it
// must be fetched by its exact name.
func (p *Param) Hidden() bool { return p.HasFlag("HIDDEN") }
