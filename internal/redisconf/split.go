package redisconf

import (
	"errors"
	"strings"
	"unicode/utf8"
)

var (
	errUnbalancedDouble = errors.New(`unbalanced quotes: a double-quoted argument is not closed`)
	errUnbalancedSingle = errors.New(`unbalanced quotes: a single-quoted argument is not closed`)
	errAfterQuote       = errors.New(`a closing quote must be followed by a space or the end of the line`)
	errNUL              = errors.New(`the line contains a NUL byte`)
)

// SplitArgs splits a configuration line into arguments the way Redis's
// sdssplitargs does:
//
//   - arguments are separated by whitespace;
//   - "double quotes" group an argument and understand the escapes \n \r \t
//     \b \a and \xHH; a backslash before any other character stands for that
//     character (\" and \\ included);
//   - 'single quotes' group an argument and understand only \';
//   - a quote may start in the middle of an argument (foo"bar" is foobar), but
//     a closing quote must be followed by whitespace or the end of the line.
//
// Unclosed quotes and text straight after a closing quote are errors, as they
// are for Redis. A NUL byte is an error too: Redis reads lines as C strings and
// would silently drop everything after it.
func SplitArgs(line string) ([]string, error) {
	if strings.IndexByte(line, 0) >= 0 {
		return nil, errNUL
	}
	args := []string{}
	n := len(line)
	p := 0
	for {
		for p < n && isSpace(line[p]) {
			p++
		}
		if p == n {
			return args, nil
		}
		var (
			cur   []byte
			quote byte // the quote the argument is inside of, or 0
		)
	token:
		for {
			switch {
			case quote != 0:
				switch {
				case p >= n:
					if quote == '"' {
						return nil, errUnbalancedDouble
					}
					return nil, errUnbalancedSingle
				case quote == '"' && line[p] == '\\' && p+3 < n && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case quote == '"' && line[p] == '\\' && p+1 < n:
					p++
					cur = append(cur, unescape(line[p]))
				case quote == '\'' && line[p] == '\\' && p+1 < n && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case line[p] == quote:
					if p+1 < n && !isSpace(line[p+1]) {
						return nil, errAfterQuote
					}
					p++
					break token
				default:
					cur = append(cur, line[p])
				}
			default:
				if p >= n {
					break token
				}
				switch line[p] {
				case ' ', '\n', '\r', '\t':
					// Like Redis, only these four end a bare argument;
					// \v and \f are kept in it.
					p++
					break token
				case '"', '\'':
					quote = line[p]
				default:
					cur = append(cur, line[p])
				}
			}
			p++
		}
		args = append(args, string(cur))
	}
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	}
	return c
}

// Quote returns the form of arg that SplitArgs reads back as exactly arg.
//
// Plain words (printable ASCII without quotes, backslashes or a leading #)
// stay bare. Anything else, including the empty string, is double-quoted:
// backslash and double quote are escaped, \n \r \t \a \b use their short
// escapes, other control bytes become \xHH, and bytes above 0x7f are kept as
// they are when arg is valid UTF-8 and written as \xHH otherwise.
func Quote(arg string) string {
	if isBare(arg) {
		return arg
	}
	valid := utf8.ValidString(arg)
	const hexdigits = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(arg) + 2)
	b.WriteByte('"')
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\a':
			b.WriteString(`\a`)
		case c == '\b':
			b.WriteString(`\b`)
		case c < 0x20 || c == 0x7f || (c >= 0x80 && !valid):
			b.WriteString(`\x`)
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&0xf])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func isBare(arg string) bool {
	if arg == "" || arg[0] == '#' {
		return false
	}
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return false
		}
	}
	return true
}

// FormatLine returns a configuration line made of the directive and its
// arguments, each quoted with Quote where needed:
// FormatLine("save", "3600", "1") is `save 3600 1` and
// FormatLine("requirepass", `a b"c`) is `requirepass "a b\"c"`.
func FormatLine(directive string, args ...string) string {
	var b strings.Builder
	b.WriteString(Quote(directive))
	for _, a := range args {
		b.WriteByte(' ')
		b.WriteString(Quote(a))
	}
	return b.String()
}
