package main

import (
	"reflect"
	"testing"
)

// The Ansible benchmark trusts a run only when its recap says both tasks
// ran on the host; a misread recap would time a playbook that did nothing.
func TestParseAnsibleRecap(t *testing.T) {
	out := []byte(`TASK [live value of each directive] ****
changed: [localhost] => (item={'key': 'save', 'value': '3600 1'})

PLAY RECAP *********************************************************************
localhost                  : ok=2    changed=2    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0   

`)
	got, err := parseAnsibleRecap(out)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"ok": 2, "changed": 2, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0, "ignored": 0}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("recap = %v, want %v", got, want)
	}

	for name, bad := range map[string]string{
		"no recap":   "ERROR! the playbook could not be found\n",
		"no host":    "PLAY RECAP ****\n\n",
		"bad number": "PLAY RECAP ****\nlocalhost : ok=two failed=0\n",
	} {
		if _, err := parseAnsibleRecap([]byte(bad)); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
