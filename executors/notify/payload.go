package notify

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/redisplan/redisplan/internal/model"
)

// Receiver is the receiver name AlertmanagerPayload is given by Build.
const Receiver = "redisplan"

// JSONFormatVersion is the "version" of JSONPayload's document. It changes
// only when a field changes meaning or goes away.
const JSONFormatVersion = "1"

// Build renders the alerts in the destination's format: "json" (also the
// default when Format is empty), "alertmanager-webhook" ("alertmanager",
// its old name, too), "slack" or "alertmanager-api". For
// "alertmanager-api", firing alerts end at until: Alertmanager resolves
// them then unless they are posted again (see APIPayload).
func Build(n model.Notify, alerts []Alert, until time.Time) ([]byte, error) {
	switch n.Format {
	case "", model.FormatJSON:
		return JSONPayload(alerts)
	case model.FormatAlertmanagerWebhook, "alertmanager":
		return AlertmanagerPayload(alerts, Receiver, "")
	case model.FormatSlack:
		return SlackPayload(alerts)
	case model.FormatAlertmanagerAPI:
		return APIPayload(alerts, until, n.GeneratorURL)
	default:
		return nil, fmt.Errorf("build payload: unknown notify format %q: use json, alertmanager-webhook or slack", n.Format)
	}
}

// apiAlert is one alert as Alertmanager's POST /api/v2/alerts takes it
// (postableAlert in its OpenAPI specification): times in RFC 3339.
type apiAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

// APIPayload renders the alerts as the body of Alertmanager's POST
// /api/v2/alerts: a JSON array of postable alerts. A resolved alert ends
// when it was resolved (a time in the past, which tells Alertmanager it is
// over); a firing one ends at until, so that Alertmanager resolves it by
// itself when redisplan stops posting it (a check that no longer runs),
// as Prometheus's own alerts do. Post every firing alert on every run,
// with until past the next run, to keep it open. generatorURL is the
// alert's source link in Alertmanager ("" for none: Alertmanager accepts
// an empty one).
func APIPayload(alerts []Alert, until time.Time, generatorURL string) ([]byte, error) {
	out := make([]apiAlert, 0, len(alerts))
	for _, a := range alerts {
		annotations := map[string]string{"summary": a.Summary}
		if a.Description != "" {
			annotations["description"] = a.Description
		}
		if a.Value != "" {
			annotations["value"] = a.Value
		}
		end := a.EndsAt
		if a.Status == StatusFiring {
			if until.IsZero() || !until.After(a.StartsAt) {
				return nil, fmt.Errorf("build alertmanager api payload: firing alert %s ends at %v, not after it starts", a.Key(), until)
			}
			end = until
		}
		out = append(out, apiAlert{
			Labels:       a.Labels(),
			Annotations:  annotations,
			StartsAt:     apiTime(a.StartsAt),
			EndsAt:       apiTime(end),
			GeneratorURL: generatorURL,
		})
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("build alertmanager api payload: %w", err)
	}
	return b, nil
}

// apiTime writes t in RFC 3339 with milliseconds, in UTC.
func apiTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// JSONPayload is redisplan's own format: {"version":"1","alerts":[...]},
// with the fields of Alert in snake case.
func JSONPayload(alerts []Alert) ([]byte, error) {
	doc := struct {
		Version string  `json:"version"`
		Alerts  []Alert `json:"alerts"`
	}{JSONFormatVersion, alerts}
	if doc.Alerts == nil {
		doc.Alerts = []Alert{}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("build json payload: %w", err)
	}
	return b, nil
}

// amMessage is the body Alertmanager's webhook receiver sends, version 4:
// what consumers of Alertmanager webhooks already parse.
type amMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`
}

// amAlert is one alert of an amMessage. Times are RFC 3339; EndsAt is
// "0001-01-01T00:00:00Z" while the alert fires, as Alertmanager sends it.
type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     string            `json:"startsAt"`
	EndsAt       string            `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// AlertName is the alertname label of a check: "Redis" and the check's
// name in CamelCase (memory_used_percent: RedisMemoryUsedPercent).
func AlertName(checkName string) string {
	var b strings.Builder
	b.WriteString("Redis")
	upper := true
	for _, r := range checkName {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Labels are the labels an alert carries in Alertmanager payloads.
func (a Alert) Labels() map[string]string {
	return map[string]string{
		"alertname": AlertName(a.Check),
		"target":    a.Target,
		"check":     a.Check,
		"severity":  a.Severity,
	}
}

// Fingerprint is the hash Alertmanager identifies a label set by: FNV-1a
// over the sorted names and values, each followed by a 0xff byte, as 16
// hex digits.
func Fingerprint(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	h := fnv.New64a()
	for _, n := range names {
		h.Write([]byte(n))
		h.Write([]byte{0xff})
		h.Write([]byte(labels[n]))
		h.Write([]byte{0xff})
	}
	return fmt.Sprintf("%016x", h.Sum64())
}

// AlertmanagerPayload renders the alerts as the body of an Alertmanager
// webhook (version 4): what Alertmanager itself sends to its webhook
// receivers, for tools that consume those. It is not what Alertmanager's
// own API (/api/v2/alerts) accepts. The group's status is firing when any
// alert fires.
// groupLabels holds alertname when every alert shares it; commonLabels
// and commonAnnotations hold what every alert shares.
func AlertmanagerPayload(alerts []Alert, receiver, externalURL string) ([]byte, error) {
	msg := amMessage{
		Version:           "4",
		Status:            StatusResolved,
		Receiver:          receiver,
		GroupLabels:       map[string]string{},
		CommonLabels:      map[string]string{},
		CommonAnnotations: map[string]string{},
		ExternalURL:       externalURL,
		Alerts:            []amAlert{},
	}
	for i, a := range alerts {
		labels := a.Labels()
		annotations := map[string]string{"summary": a.Summary, "description": a.Description}
		if a.Status == StatusFiring {
			msg.Status = StatusFiring
		}
		if i == 0 {
			for k, v := range labels {
				msg.CommonLabels[k] = v
			}
			for k, v := range annotations {
				msg.CommonAnnotations[k] = v
			}
		} else {
			intersect(msg.CommonLabels, labels)
			intersect(msg.CommonAnnotations, annotations)
		}
		msg.Alerts = append(msg.Alerts, amAlert{
			Status:       a.Status,
			Labels:       labels,
			Annotations:  annotations,
			StartsAt:     amTime(a.StartsAt),
			EndsAt:       amTime(a.EndsAt),
			GeneratorURL: "",
			Fingerprint:  Fingerprint(labels),
		})
	}
	if name, ok := msg.CommonLabels["alertname"]; ok {
		msg.GroupLabels["alertname"] = name
	}
	msg.GroupKey = "{}:" + labelString(msg.GroupLabels)
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("build alertmanager payload: %w", err)
	}
	return b, nil
}

// intersect drops from common what other does not share.
func intersect(common, other map[string]string) {
	for k, v := range common {
		if ov, ok := other[k]; !ok || ov != v {
			delete(common, k)
		}
	}
}

func amTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// labelString writes a label set the way Alertmanager writes group keys:
// {a="x", b="y"}, sorted by name.
func labelString(labels map[string]string) string {
	names := make([]string, 0, len(labels))
	for n := range labels {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = n + "=" + strconv.Quote(labels[n])
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Slack limits: 50 blocks per message, 3000 characters per section text.
const (
	slackMaxBlocks  = 50
	slackMaxSection = 3000
)

// SlackPayload renders the alerts as a Slack incoming-webhook message:
// "text" is the notification's one-line fallback, "blocks" are mrkdwn
// sections, one per alert (beyond Slack's 50 blocks, the rest are counted
// in a last block).
func SlackPayload(alerts []Alert) ([]byte, error) {
	type text struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	type block struct {
		Type string `json:"type"`
		Text *text  `json:"text,omitempty"`
	}
	firing, resolved := 0, 0
	for _, a := range alerts {
		if a.Status == StatusFiring {
			firing++
		} else {
			resolved++
		}
	}
	var counts []string
	if firing > 0 {
		counts = append(counts, fmt.Sprintf("%d firing", firing))
	}
	if resolved > 0 {
		counts = append(counts, fmt.Sprintf("%d resolved", resolved))
	}
	if len(counts) == 0 {
		counts = []string{"no alerts"}
	}
	fallback := "redisplan: " + strings.Join(counts, ", ")

	blocks := []block{{Type: "section", Text: &text{"mrkdwn", "*" + slackEscape(fallback) + "*"}}}
	room := slackMaxBlocks - 1
	for i, a := range alerts {
		if i == room-1 && len(alerts) > room {
			more := fmt.Sprintf("… and %d more", len(alerts)-i)
			blocks = append(blocks, block{Type: "section", Text: &text{"mrkdwn", more}})
			break
		}
		blocks = append(blocks, block{Type: "section", Text: &text{"mrkdwn", slackLine(a)}})
	}
	b, err := json.Marshal(struct {
		Text   string  `json:"text"`
		Blocks []block `json:"blocks"`
	}{fallback, blocks})
	if err != nil {
		return nil, fmt.Errorf("build slack payload: %w", err)
	}
	return b, nil
}

func slackLine(a Alert) string {
	icon, word := ":white_check_mark:", "RESOLVED"
	if a.Status == StatusFiring {
		icon, word = ":warning:", "WARNING"
		if a.Severity == SeverityCritical {
			icon, word = ":red_circle:", "CRITICAL"
		}
	}
	s := fmt.Sprintf("%s *%s* %s", icon, word, slackEscape(a.Summary))
	if a.Description != "" {
		s += "\n" + slackEscape(a.Description)
	}
	if utf8.RuneCountInString(s) > slackMaxSection {
		r := []rune(s)
		s = string(r[:slackMaxSection-1]) + "…"
	}
	return s
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
