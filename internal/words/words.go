// Package words splits a line into words at spaces and tabs, with the
// quoting of the language the line is written in given by the caller: a
// shell's for the command lines redisplan writes into jobs, Go's for the
// reason of a lint ignore.
package words

import "strings"

// Quoted reads a quoted part (or an escape) that may start at s[i], a
// byte other than a space or a tab. When one starts there, it returns
// the text the part adds to its word, the index of the part's last byte
// and ok; otherwise ok is false and the byte stands for itself. An error
// ends the split.
type Quoted func(s string, i int) (text string, last int, ok bool, err error)

// Split splits s into words at spaces and tabs outside quoted parts. A
// quoted part belongs to the word it stands in, so that "" alone is an
// empty word.
func Split(s string, quoted Quoted) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == ' ' || c == '\t' {
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			continue
		}
		inWord = true
		text, last, ok, err := quoted(s, i)
		if err != nil {
			return nil, err
		}
		if !ok {
			cur.WriteByte(s[i])
			continue
		}
		cur.WriteString(text)
		i = last
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
