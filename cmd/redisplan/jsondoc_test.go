package main

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redisplan/redisplan/executors/notify"
	"github.com/redisplan/redisplan/executors/repository"
	"github.com/redisplan/redisplan/internal/model"
	"github.com/redisplan/redisplan/internal/progress"
	buildinfo "github.com/redisplan/redisplan/internal/version"
	"github.com/redisplan/redisplan/operations"
	"github.com/redisplan/redisplan/planner"
	"github.com/redisplan/redisplan/planner/lint"
)

// jsonFields collects the JSON names of t's fields and of the structs it
// holds, recursively.
func jsonFields(t reflect.Type, into map[string]string, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] || t == reflect.TypeOf(time.Time{}) {
		return
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			jsonFields(f.Type, into, seen)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = t.String()
		jsonFields(f.Type, into, seen)
	}
}

// TestJSONDocumentsEveryField: docs/json.md names every field of every
// JSON document redisplan writes, so that a field added to a document
// without its documentation fails here.
func TestJSONDocumentsEveryField(t *testing.T) {
	doc, err := os.ReadFile("../../docs/json.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	fields := map[string]string{}
	seen := map[reflect.Type]bool{}
	for _, v := range []any{
		operations.ValidateResult{}, planner.Plan{}, operations.ApplyPlanRecord{}, operations.ApplySummary{},
		progress.Record{}, checkOutput{}, operations.BackupList{}, repository.Foreign{},
		operations.RPOReport{}, operations.RTOReport{}, operations.PITRReport{}, buildinfo.Info{}, notify.Alert{},
	} {
		jsonFields(reflect.TypeOf(v), fields, seen)
	}
	// The findings shape is unexported: read it from a finding with
	// every field set.
	var findings []map[string]json.RawMessage
	f := model.Finding{Code: "RP001", Severity: model.SeverityError, Target: "main", Message: "m", Pos: model.Pos{Filename: "r.hcl", Line: 1, Column: 1}, Doc: "d", Fix: "f", Suppressed: "s"}
	if err := json.Unmarshal(lint.FindingsJSON([]model.Finding{f}), &findings); err != nil {
		t.Fatal(err)
	}
	for k := range findings[0] {
		fields[k] = "finding"
	}
	var summary map[string]json.RawMessage
	b, _ := json.Marshal(lint.Summarize(nil))
	_ = json.Unmarshal(b, &summary)
	for k := range summary {
		fields[k] = "lint summary"
	}
	for name, where := range fields {
		if !strings.Contains(text, "`"+name+"`") && !strings.Contains(text, `"`+name+`"`) {
			t.Errorf("docs/json.md does not describe %s's field %q", where, name)
		}
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "docs/json.md") {
		t.Error("README.md does not link docs/json.md")
	}
}

// TestVersionJSONHasAFormatVersion: version -json carries the
// format_version every JSON document has, beside the build's fields.
func TestVersionJSONHasAFormatVersion(t *testing.T) {
	code, out, errOut := runCLI(t, "version", "-json")
	var v map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &v) != nil {
		t.Fatalf("version -json: exit %d\n%s%s", code, out, errOut)
	}
	if v["format_version"] != "1.0" || v["version"] == nil || v["go_version"] == nil || v["platform"] == nil {
		t.Errorf("version -json = %s, want format_version 1.0 with version, go_version and platform", out)
	}
}
