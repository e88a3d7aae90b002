package notify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/internal/model"
)

func sampleAlerts() []Alert {
	return []Alert{
		{
			Target: "main", Check: "memory_used_percent", Severity: "critical", Status: "firing",
			Summary: "main: memory_used_percent is critical (93.5%)", Description: "memory used 93.5% (critical at 90%)",
			StartsAt: t0, Value: "93.5%",
		},
		{
			Target: "main", Check: "backup_age", Severity: "warning", Status: "resolved",
			Summary: "main: backup_age is back to ok", Description: "last backup 1h ago",
			StartsAt: t0.Add(-time.Hour), EndsAt: t0,
		},
	}
}

// webhookMessage mirrors the body Alertmanager's webhook receiver sends
// (notify/webhook.Message, version 4), written from its documentation.
type webhookMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   uint64            `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []struct {
		Status       string            `json:"status"`
		Labels       map[string]string `json:"labels"`
		Annotations  map[string]string `json:"annotations"`
		StartsAt     time.Time         `json:"startsAt"`
		EndsAt       time.Time         `json:"endsAt"`
		GeneratorURL string            `json:"generatorURL"`
		Fingerprint  string            `json:"fingerprint"`
	} `json:"alerts"`
}

func TestAlertmanagerPayloadHasEveryField(t *testing.T) {
	b, err := AlertmanagerPayload(sampleAlerts(), "redisplan", "http://redisplan.example")
	if err != nil {
		t.Fatal(err)
	}
	// Every field is present, not just decodable to its zero value.
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"} {
		if _, ok := raw[f]; !ok {
			t.Errorf("message has no %q", f)
		}
	}
	var rawAlerts []map[string]json.RawMessage
	if err := json.Unmarshal(raw["alerts"], &rawAlerts); err != nil {
		t.Fatal(err)
	}
	for i, a := range rawAlerts {
		for _, f := range []string{"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"} {
			if _, ok := a[f]; !ok {
				t.Errorf("alert %d has no %q", i, f)
			}
		}
	}

	var m webhookMessage
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode as an Alertmanager webhook message: %v\n%s", err, b)
	}
	if m.Version != "4" || m.Status != "firing" || m.Receiver != "redisplan" || m.ExternalURL != "http://redisplan.example" || m.TruncatedAlerts != 0 {
		t.Errorf("message = %+v", m)
	}
	// Two alertnames: nothing to group by.
	if len(m.GroupLabels) != 0 || m.GroupKey != "{}:{}" {
		t.Errorf("groupLabels = %v, groupKey = %q", m.GroupLabels, m.GroupKey)
	}
	if fmt.Sprint(m.CommonLabels) != "map[target:main]" || len(m.CommonAnnotations) != 0 {
		t.Errorf("commonLabels = %v, commonAnnotations = %v", m.CommonLabels, m.CommonAnnotations)
	}
	if len(m.Alerts) != 2 {
		t.Fatalf("alerts = %d", len(m.Alerts))
	}
	fire, res := m.Alerts[0], m.Alerts[1]
	wantLabels := "map[alertname:RedisMemoryUsedPercent check:memory_used_percent severity:critical target:main]"
	if fmt.Sprint(fire.Labels) != wantLabels {
		t.Errorf("labels = %v, want %s", fire.Labels, wantLabels)
	}
	if fire.Annotations["summary"] != "main: memory_used_percent is critical (93.5%)" || fire.Annotations["description"] == "" {
		t.Errorf("annotations = %v", fire.Annotations)
	}
	if !fire.StartsAt.Equal(t0) || !fire.EndsAt.IsZero() || res.Status != "resolved" || !res.EndsAt.Equal(t0) {
		t.Errorf("times: firing %v..%v, resolved %s %v", fire.StartsAt, fire.EndsAt, res.Status, res.EndsAt)
	}
	if !strings.Contains(string(b), `"endsAt":"0001-01-01T00:00:00Z"`) {
		t.Errorf("a firing alert's endsAt is not Alertmanager's zero time:\n%s", b)
	}
	hex16 := regexp.MustCompile(`^[0-9a-f]{16}$`)
	for _, a := range m.Alerts {
		if !hex16.MatchString(a.Fingerprint) {
			t.Errorf("fingerprint %q is not 16 hex digits", a.Fingerprint)
		}
		if a.Fingerprint != Fingerprint(a.Labels) {
			t.Errorf("fingerprint %q is not the hash of the labels %v", a.Fingerprint, a.Labels)
		}
	}
}

func TestAlertmanagerPayloadGroupsOneAlertname(t *testing.T) {
	alerts := sampleAlerts()[:1]
	alerts = append(alerts, alerts[0])
	alerts[1].Target = "replica"
	b, err := AlertmanagerPayload(alerts, "redisplan", "")
	if err != nil {
		t.Fatal(err)
	}
	var m webhookMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.GroupLabels["alertname"] != "RedisMemoryUsedPercent" || m.GroupKey != `{}:{alertname="RedisMemoryUsedPercent"}` {
		t.Errorf("groupLabels = %v, groupKey = %q", m.GroupLabels, m.GroupKey)
	}
	if _, ok := m.CommonLabels["target"]; ok || m.CommonLabels["severity"] != "critical" {
		t.Errorf("commonLabels = %v", m.CommonLabels)
	}
}

func TestAlertmanagerPayloadResolvedOnly(t *testing.T) {
	b, err := AlertmanagerPayload(sampleAlerts()[1:], "r", "")
	if err != nil {
		t.Fatal(err)
	}
	var m webhookMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m.Status != "resolved" {
		t.Errorf("status = %q, want resolved", m.Status)
	}
}

func TestFingerprintIsStable(t *testing.T) {
	a := map[string]string{"alertname": "RedisBackupAge", "target": "main", "check": "backup_age", "severity": "critical"}
	b := map[string]string{"severity": "critical", "check": "backup_age", "target": "main", "alertname": "RedisBackupAge"}
	fa := Fingerprint(a)
	for range 20 {
		if Fingerprint(a) != fa || Fingerprint(b) != fa {
			t.Fatalf("fingerprint depends on map order")
		}
	}
	b["target"] = "replica"
	if Fingerprint(b) == fa {
		t.Errorf("different labels, same fingerprint")
	}
	// A name/value boundary cannot be moved without changing the hash.
	if Fingerprint(map[string]string{"ab": "c"}) == Fingerprint(map[string]string{"a": "bc"}) {
		t.Errorf("separator missing from the hash")
	}
	// Alertmanager's fingerprint of the empty label set is FNV-1a's offset.
	if got := Fingerprint(nil); got != "cbf29ce484222325" {
		t.Errorf("Fingerprint(nil) = %s", got)
	}
}

func TestAlertName(t *testing.T) {
	for in, want := range map[string]string{
		"memory_used_percent": "RedisMemoryUsedPercent",
		"reachable":           "RedisReachable",
		"rdb_last_bgsave":     "RedisRdbLastBgsave",
		"aof__write-failed":   "RedisAofWriteFailed",
	} {
		if got := AlertName(in); got != want {
			t.Errorf("AlertName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJSONPayload(t *testing.T) {
	b, err := JSONPayload(sampleAlerts())
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version string                       `json:"version"`
		Alerts  []map[string]json.RawMessage `json:"alerts"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "1" || len(doc.Alerts) != 2 {
		t.Fatalf("doc = %s", b)
	}
	if _, ok := doc.Alerts[0]["ends_at"]; ok {
		t.Errorf("a firing alert has ends_at: %s", b)
	}
	if string(doc.Alerts[1]["ends_at"]) != `"2026-03-01T12:00:00Z"` || string(doc.Alerts[0]["check"]) != `"memory_used_percent"` {
		t.Errorf("alerts = %s", b)
	}

	empty, err := JSONPayload(nil)
	if err != nil || string(empty) != `{"version":"1","alerts":[]}` {
		t.Errorf("JSONPayload(nil) = %s, %v", empty, err)
	}
}

func TestSlackPayload(t *testing.T) {
	alerts := sampleAlerts()
	alerts[0].Description = "used <90%> & rising"
	b, err := SlackPayload(alerts)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if msg.Text != "redisplan: 1 firing, 1 resolved" || len(msg.Blocks) != 3 {
		t.Fatalf("message = %s", b)
	}
	for _, bl := range msg.Blocks {
		if bl.Type != "section" || bl.Text.Type != "mrkdwn" || bl.Text.Text == "" {
			t.Errorf("block = %+v", bl)
		}
	}
	if got := msg.Blocks[1].Text.Text; got != ":red_circle: *CRITICAL* main: memory_used_percent is critical (93.5%)\nused &lt;90%&gt; &amp; rising" {
		t.Errorf("firing block = %q", got)
	}
	if got := msg.Blocks[2].Text.Text; !strings.HasPrefix(got, ":white_check_mark: *RESOLVED* main: backup_age") {
		t.Errorf("resolved block = %q", got)
	}
}

func TestSlackPayloadStaysWithinSlackLimits(t *testing.T) {
	var alerts []Alert
	for i := range 120 {
		a := sampleAlerts()[0]
		a.Target = fmt.Sprintf("t%d", i)
		a.Description = strings.Repeat("x", 5000)
		alerts = append(alerts, a)
	}
	b, err := SlackPayload(alerts)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Blocks []struct {
			Text struct{ Text string } `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(b, &msg); err != nil {
		t.Fatal(err)
	}
	if len(msg.Blocks) != slackMaxBlocks {
		t.Errorf("%d blocks, want %d", len(msg.Blocks), slackMaxBlocks)
	}
	for _, bl := range msg.Blocks {
		if n := len([]rune(bl.Text.Text)); n > slackMaxSection {
			t.Errorf("section of %d characters", n)
		}
	}
	if last := msg.Blocks[len(msg.Blocks)-1].Text.Text; last != "… and 72 more" {
		t.Errorf("last block = %q", last)
	}
}

func TestBuildPicksTheFormat(t *testing.T) {
	for format, prefix := range map[string]string{
		"":                     `{"version":"1"`,
		"json":                 `{"version":"1"`,
		"alertmanager":         `{"version":"4"`,
		"alertmanager-webhook": `{"version":"4"`,
		"slack":                `{"text":`,
		"alertmanager-api":     `[{"labels":`,
	} {
		b, err := Build(model.Notify{Format: format}, sampleAlerts(), time.Now().Add(time.Hour))
		if err != nil || !strings.HasPrefix(string(b), prefix) {
			t.Errorf("Build(%q) = %.40s, %v", format, b, err)
		}
	}
	if _, err := Build(model.Notify{Format: "teams"}, nil, time.Time{}); err == nil || !strings.Contains(err.Error(), `"teams"`) {
		t.Errorf("unknown format: err = %v", err)
	}
}
