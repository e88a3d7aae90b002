package words

import (
	"errors"
	"reflect"
	"testing"
)

// brackets quotes with [ and ]: a stand-in for a caller's quoting.
func brackets(s string, i int) (string, int, bool, error) {
	if s[i] != '[' {
		return "", i, false, nil
	}
	for j := i + 1; j < len(s); j++ {
		if s[j] == ']' {
			return s[i+1 : j], j, true, nil
		}
	}
	return "", i, false, errors.New("unclosed")
}

// TestSplit: words break at runs of spaces and tabs, a quoted part keeps
// its spaces and belongs to the word it stands in, an empty quoted part
// is an empty word, and the caller's error ends the split.
func TestSplit(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" \t ", nil},
		{"a  b\tc", []string{"a", "b", "c"}},
		{"key=[two words] x", []string{"key=two words", "x"}},
		{"[] [ ]", []string{"", " "}},
		{"a[b]c", []string{"abc"}},
	} {
		got, err := Split(c.in, brackets)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("Split(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	if got, err := Split("a [b", brackets); err == nil {
		t.Errorf("Split with an unclosed quote = %q, want the quote's error", got)
	}
}
