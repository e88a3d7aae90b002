package model

import "fmt"

// The small enums of the model (Action, Mode, Severity) are ints with
// stable names, which their String, MarshalText and UnmarshalText use.

// enumName returns the name of v, "unknown" for a value without one.
func enumName[T ~int](names []string, v T) string {
	if v < 0 || int(v) >= len(names) {
		return "unknown"
	}
	return names[v]
}

// parseEnum sets *dst to the value named b, and fails naming what it
// reads when no value has that name.
func parseEnum[T ~int](dst *T, names []string, b []byte, what string) error {
	for i, n := range names {
		if n == string(b) {
			*dst = T(i)
			return nil
		}
	}
	return fmt.Errorf("unknown %s %q", what, b)
}
