package redisconf

// What the tests of package redisconf_test (which may import
// internal/catalog, as this package may not) use of the unexported code.

func (e Edit) Matcher() (func(Line) bool, error) { return e.matcher() }

var LowerASCII = lowerASCII
