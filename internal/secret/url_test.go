package secret

import "testing"

func TestMaskURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8007/alerts":                                      "http://127.0.0.1:8007/alerts",
		"https://hooks.example.com/h?token=abc&team=ops":                    "https://hooks.example.com/h?token=(redacted)&team=(redacted)",
		"https://user:pa55@am.example.com:9093/api":                         "https://user:(redacted)@am.example.com:9093/api",
		"https://user@am.example.com/api":                                   "https://user@am.example.com/api",
		"https://hooks.slack.com/services/T0001/B0001/XXXXxxxx1234yyyyZZZZ": "https://hooks.slack.com/services/T0001/B0001/(redacted)",
		"https://h.example.com/x?abcdef1234&empty=&k=v#frag":                "https://h.example.com/x?(redacted)&empty=&k=(redacted)#(redacted)",
		"https://h.example.com/x?":                                          "https://h.example.com/x?",
		"http://[::1]:80/a/alertmanager-webhook":                            "http://[::1]:80/a/alertmanager-webhook",
		"::not a url":                                                       Mask,
		"mailto:ops@example.com":                                            Mask,
	} {
		if got := MaskURL(in); got != want {
			t.Errorf("MaskURL(%q) = %q, want %q", in, got, want)
		}
	}
}
