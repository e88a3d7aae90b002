package secret

import (
	"net/url"
	"strings"
	"unicode"
)

// MaskURL returns the webhook URL fit to be shown: the userinfo password,
// every query value (and a query key without a value), the fragment and
// any path segment that looks like a token (16 characters or more, with
// both letters and digits, as in Slack's /services/T…/B…/<token>) become
// Mask. A URL that does not parse is masked whole.
func MaskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" {
		return Mask
	}
	var b strings.Builder
	if u.Scheme != "" {
		b.WriteString(u.Scheme + ":")
	}
	if u.Host != "" || u.User != nil || u.Scheme != "" {
		b.WriteString("//")
	}
	if u.User != nil {
		b.WriteString(url.User(u.User.Username()).String())
		if _, ok := u.User.Password(); ok {
			b.WriteString(":" + Mask)
		}
		b.WriteString("@")
	}
	b.WriteString(u.Host)
	segs := strings.Split(u.EscapedPath(), "/")
	for i, seg := range segs {
		if LooksLikeToken(seg) {
			segs[i] = Mask
		}
	}
	b.WriteString(strings.Join(segs, "/"))
	if u.RawQuery != "" || u.ForceQuery {
		b.WriteString("?")
		parts := strings.Split(u.RawQuery, "&")
		for i, p := range parts {
			k, v, ok := strings.Cut(p, "=")
			switch {
			case !ok && p != "":
				parts[i] = Mask
			case ok && v != "":
				parts[i] = k + "=" + Mask
			}
		}
		b.WriteString(strings.Join(parts, "&"))
	}
	if u.Fragment != "" {
		b.WriteString("#" + Mask)
	}
	return b.String()
}

// LooksLikeToken reports whether a URL path segment looks like a secret
// token: 16 characters or more, with both letters and digits, as in
// Slack's /services/T…/B…/<token>.
func LooksLikeToken(seg string) bool {
	if len(seg) < 16 {
		return false
	}
	letter, digit := false, false
	for _, r := range seg {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	return letter && digit
}
