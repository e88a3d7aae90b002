package hcl

import (
	"strings"
	"testing"

	hclv2 "github.com/hashicorp/hcl/v2"

	"github.com/redisplan/redisplan/internal/model"
)

func alertsSpec(notify string) string {
	return `redis "main" {
  address = "127.0.0.1:6379"
  alerts {
` + notify + `
  }
}
`
}

// TestAlertmanagerDestinations: alertmanager takes one URL or a list (an
// HA group); each becomes a destination posting to its /api/v2/alerts,
// with the block's headers and generator URL.
func TestAlertmanagerDestinations(t *testing.T) {
	res, diags := loadDiags(t, alertsSpec(`    notify {
      alertmanager  = ["http://am-0:9093", "https://user:pw@am-1:9093/prefix/"]
      headers       = { "X-Scope-OrgID" = "tenant" }
      generator_url = "https://grafana.example.com/d/redis"
    }
    notify {
      alertmanager = "http://am:9093/api/v2/alerts"
    }`))
	if diags.HasErrors() || len(diags) != 0 {
		t.Fatalf("diagnostics: %s", allText(diags))
	}
	got := res.Spec.Target("main").Alerts.Notify
	want := []string{"http://am-0:9093/api/v2/alerts", "https://user:pw@am-1:9093/prefix/api/v2/alerts", "http://am:9093/api/v2/alerts"}
	if len(got) != len(want) {
		t.Fatalf("got %d destinations, want %d: %+v", len(got), len(want), got)
	}
	for i, n := range got {
		if n.Webhook != want[i] || n.Format != model.FormatAlertmanagerAPI {
			t.Errorf("destination %d = %s %q, want alertmanager-api %q", i, n.Format, n.Webhook, want[i])
		}
	}
	if got[0].Headers["X-Scope-OrgID"] != "tenant" || got[1].GeneratorURL != "https://grafana.example.com/d/redis" {
		t.Errorf("headers %v, generator URL %q: want the block's", got[0].Headers, got[1].GeneratorURL)
	}
}

// TestNotifyBlockErrors: a block with neither or both destinations, a
// format beside alertmanager, and a bad URL are errors at their place;
// a bad URL's text (which may hold a password) is not quoted.
func TestNotifyBlockErrors(t *testing.T) {
	for name, c := range map[string]struct{ block, want string }{
		"neither":      {`notify { format = "json" }`, "Missing notify destination"},
		"both":         {`notify {` + "\n" + `webhook = "http://x/"` + "\n" + `alertmanager = "http://am:9093"` + "\n" + `}`, "Conflicting notify destinations"},
		"format":       {`notify {` + "\n" + `alertmanager = "http://am:9093"` + "\n" + `format = "json"` + "\n" + `}`, "Format with alertmanager"},
		"scheme":       {`notify { alertmanager = ["ftp://user:s3cr3t-pw@am:9093"] }`, "Invalid alertmanager URL"},
		"empty list":   {`notify { alertmanager = [] }`, "No alertmanager URL"},
		"duplicate":    {`notify { alertmanager = ["http://am:9093", "http://am:9093/"] }`, "Duplicate alertmanager URL"},
		"not a string": {`notify { alertmanager = 9093 }`, "Invalid alertmanager URLs"},
		"generator":    {`notify {` + "\n" + `webhook = "http://x/"` + "\n" + `generator_url = "https://g/"` + "\n" + `}`, "generator_url without alertmanager"},
	} {
		_, diags := loadDiags(t, alertsSpec("    "+c.block))
		text := allText(diags)
		if !diags.HasErrors() || !strings.Contains(text, c.want) {
			t.Errorf("%s: diagnostics %q, want an error %q", name, text, c.want)
		}
		if strings.Contains(text, "s3cr3t-pw") {
			t.Errorf("%s: a diagnostic quotes the URL's password: %s", name, text)
		}
		for _, d := range diags {
			if d.Severity == hclv2.DiagError && d.Subject == nil {
				t.Errorf("%s: error %q has no position", name, d.Summary)
			}
		}
	}
}

// TestOldAlertmanagerFormatWarns: format = "alertmanager" still posts
// Alertmanager's webhook body, under its new name, with a warning that
// names both the new name and the API.
func TestOldAlertmanagerFormatWarns(t *testing.T) {
	res, diags := loadDiags(t, alertsSpec(`    notify {
      webhook = "http://127.0.0.1:5001/hook"
      format  = "alertmanager"
    }`))
	if diags.HasErrors() {
		t.Fatalf("errors: %s", allText(diags))
	}
	if len(diags) != 1 || diags[0].Severity != hclv2.DiagWarning || diags[0].Subject == nil ||
		!strings.Contains(diags[0].Detail, `"alertmanager-webhook"`) || !strings.Contains(diags[0].Detail, "alertmanager = [") {
		t.Fatalf("diagnostics = %s, want one warning naming the new format and the API", allText(diags))
	}
	if n := res.Spec.Target("main").Alerts.Notify[0]; n.Format != model.FormatAlertmanagerWebhook {
		t.Errorf("format = %q, want %q", n.Format, model.FormatAlertmanagerWebhook)
	}
}

// TestAlertmanagerURLFromASensitiveVariable: a URL that carries a
// password from a sensitive variable is accepted (it is a secret's place),
// and the password reaches the destination's secrets for redaction.
func TestAlertmanagerURLFromASensitiveVariable(t *testing.T) {
	res, diags := loadDiags(t, `variable "am_password" {
  type      = string
  sensitive = true
  default   = "s3cr3t-am-pw"
}
`+alertsSpec(`    notify {
      alertmanager = ["http://redisplan:${var.am_password}@am-0:9093"]
    }`))
	if diags.HasErrors() {
		t.Fatalf("diagnostics: %s", allText(diags))
	}
	n := res.Spec.Target("main").Alerts.Notify[0]
	if n.Webhook != "http://redisplan:s3cr3t-am-pw@am-0:9093/api/v2/alerts" {
		t.Errorf("URL = %q", n.Webhook)
	}
	found := false
	for _, s := range n.Secrets() {
		found = found || s == "s3cr3t-am-pw"
	}
	if !found {
		t.Errorf("secrets %q lack the password", n.Secrets())
	}
}
