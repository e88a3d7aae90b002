// Package s3url parses s3://BUCKET/PREFIX backup destinations and S3
// endpoints. The spec loader checks them with it and the S3 backend opens
// them with it, so the two agree on what a destination is.
package s3url

import (
	"fmt"
	"net/url"
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

// ParseEndpoint reads an s3 block's endpoint: host[:port] (HTTPS), or a
// URL with the http or https scheme and nothing but a host and port. Empty
// means AWS.
func ParseEndpoint(ep string) (host string, secure bool, err error) {
	switch {
	case ep == "":
		return "s3.amazonaws.com", true, nil
	case strings.Contains(ep, "://"):
		u, err := url.Parse(ep)
		if err != nil {
			return "", false, fmt.Errorf("endpoint %q: %w", ep, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return "", false, fmt.Errorf("endpoint %q: the scheme must be http or https", ep)
		}
		if u.Host == "" || (u.Path != "" && u.Path != "/") || u.User != nil || u.RawQuery != "" {
			return "", false, fmt.Errorf("endpoint %q: give only a scheme, a host and a port", ep)
		}
		return u.Host, u.Scheme == "https", nil
	default:
		return ep, true, nil
	}
}
