package model

import (
	"encoding/json"
	"testing"
)

// TestValueKeepsAnEmptyValue: a directive set to "" (save "" turns RDB
// snapshots off) shows "value": "" in plan -json and saved plans, beside
// "set": true; an absent value is "set": false.
func TestValueKeepsAnEmptyValue(t *testing.T) {
	for v, want := range map[Value]string{
		{Set: true, Value: ""}:   `{"set":true,"value":""}`,
		{Set: false}:             `{"set":false,"value":""}`,
		{Set: true, Value: "1h"}: `{"set":true,"value":"1h"}`,
	} {
		b, err := json.Marshal(v)
		if err != nil || string(b) != want {
			t.Errorf("%+v = %s, %v; want %s", v, b, err, want)
		}
	}
}
