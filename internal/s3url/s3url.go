// Package s3url parses s3://BUCKET/PREFIX backup destinations. The spec
// loader checks them with it and the S3 backend opens them with it, so
// the two agree on what a destination is.
package s3url

import (
	"fmt"
	"strings"
)

// Scheme starts every S3 destination.
const Scheme = "s3://"

// Is reports whether dest names an S3 destination.
func Is(dest string) bool { return strings.HasPrefix(dest, Scheme) }

// Parse splits s3://BUCKET[/PREFIX]. The prefix comes back without
// leading or trailing slashes.
func Parse(dest string) (bucket, prefix string, err error) {
	if !Is(dest) {
		return "", "", fmt.Errorf("%q is not an s3:// destination", dest)
	}
	bucket, prefix, _ = strings.Cut(strings.TrimPrefix(dest, Scheme), "/")
	if err := checkBucket(bucket); err != nil {
		return "", "", err
	}
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return bucket, "", nil
	}
	if strings.ContainsAny(prefix, "\\") || strings.ContainsFunc(prefix, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", "", fmt.Errorf("the prefix %q holds a backslash or a control character", prefix)
	}
	for _, el := range strings.Split(prefix, "/") {
		if el == "" || el == "." || el == ".." {
			return "", "", fmt.Errorf("the prefix %q has an empty, \".\" or \"..\" element", prefix)
		}
	}
	return bucket, prefix, nil
}

// checkBucket applies S3's bucket naming rules: 3 to 63 lowercase
// letters, digits, dots and hyphens, starting and ending with a letter or
// digit.
func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("the bucket name %q must be 3 to 63 characters long", b)
	}
	for i, c := range []byte(b) {
		ok := 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '-'
		if !ok || (i == 0 || i == len(b)-1) && (c == '.' || c == '-') {
			return fmt.Errorf("the bucket name %q: use lowercase letters, digits, '.' and '-', starting and ending with a letter or digit", b)
		}
	}
	return nil
}
