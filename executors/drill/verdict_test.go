package drill

import (
	"strings"
	"testing"
	"time"
)

func TestJudgeRPO(t *testing.T) {
	aof := func(fsync string, runs ...RPORun) RPOResult {
		r := RPOResult{Runs: runs, AOF: true, AppendFsync: fsync, Persistence: "appendonly yes, appendfsync " + fsync}
		r.WorstLost, r.MedianLost, r.WorstLostMillis, r.MedianLostMillis = summarize(runs)
		return r
	}
	none := func(runs ...RPORun) RPOResult {
		r := aof("everysec", runs...)
		r.AOF, r.Persistence = false, `appendonly no, save ""`
		return r
	}
	for _, tt := range []struct {
		name      string
		res       RPOResult
		objective time.Duration
		pass      bool
		reason    string
	}{
		{"always, nothing lost", aof("always", RPORun{Acknowledged: 10, Recovered: 10}), time.Second, true, "within the rpo of 1s"},
		{"always loses a write", aof("always", RPORun{Acknowledged: 10, Recovered: 9, Lost: 1, LostMillis: 0.1}), time.Second, false, "appendfsync always promises"},
		{"always loses a write, no objective", aof("always", RPORun{Acknowledged: 10, Recovered: 9, Lost: 1}), 0, false, "appendfsync always promises"},
		{"everysec within", aof("everysec", RPORun{Acknowledged: 10, Recovered: 8, Lost: 2, LostMillis: 1000}), time.Second, true, "1000ms"},
		{"everysec over", aof("everysec", RPORun{Acknowledged: 10, Recovered: 8, Lost: 2, LostMillis: 1000.5}), time.Second, false, "more than the rpo of 1s"},
		{"no objective", aof("no", RPORun{Acknowledged: 10, Recovered: 2, Lost: 8, LostMillis: 30000}), 0, true, "sets no rpo"},
		{"all lost, past the objective", none(RPORun{Acknowledged: 10, Lost: 10, LostMillis: 1500}), time.Second, false, "lost every acknowledged write: at least 1500ms"},
		{"all lost, within the objective", none(RPORun{Acknowledged: 10, Lost: 10, LostMillis: 800}, RPORun{Acknowledged: 5, Recovered: 5}), time.Second, false, "duration longer than twice the rpo"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeRPO(tt.res, tt.objective)
			if v.Pass != tt.pass || !strings.Contains(v.Reason, tt.reason) || v.Objective != tt.objective {
				t.Errorf("JudgeRPO = %+v; want pass %v with a reason containing %q", v, tt.pass, tt.reason)
			}
		})
	}
}

func TestJudgeRTO(t *testing.T) {
	good := RTOResult{BackupID: "b1", VerifySeconds: 1, LoadSeconds: 2, TotalSeconds: 4, Keys: 3, ExpectedKeys: 3, KeysMatch: true}
	bad := good
	bad.KeysMatch, bad.Keys, bad.Mismatch = false, 1, "db0 has 1 keys, the backup 3"
	for _, tt := range []struct {
		name      string
		res       RTOResult
		objective time.Duration
		pass      bool
		reason    string
	}{
		{"within", good, 5 * time.Minute, true, "within the rto of 5m0s"},
		{"exactly", good, 4 * time.Second, true, "within"},
		{"over", good, 3 * time.Second, false, "more than the rto of 3s"},
		{"no objective", good, 0, true, "sets no rto"},
		{"keys differ", bad, 5 * time.Minute, false, "db0 has 1 keys"},
		{"keys differ, no objective", bad, 0, false, "do not match"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := JudgeRTO(tt.res, tt.objective)
			if v.Pass != tt.pass || !strings.Contains(v.Reason, tt.reason) {
				t.Errorf("JudgeRTO = %+v; want pass %v with a reason containing %q", v, tt.pass, tt.reason)
			}
		})
	}
}
