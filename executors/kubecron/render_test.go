package kubecron

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"

	"github.com/redisplan/redisplan/executors/schedfiles"
	"github.com/redisplan/redisplan/internal/model"
)

var update = flag.Bool("update", false, "rewrite golden files from the current output")

func target() *model.Target {
	return &model.Target{
		Name:       "main",
		Connection: model.Connection{Password: "Sup3rSecretPw"},
		Backup:     &model.Backup{Schedule: "30 2 * * mon-fri", Destination: "/var/backups/redis"},
		Alerts:     &model.Alerts{Schedule: "*/15 * * * *"},
	}
}

func block() *model.KubeCronJobs {
	return &model.KubeCronJobs{
		Dir:              "/srv/deploy",
		Namespace:        "redis",
		Image:            "registry.example/redisplan:1.4.0",
		ConfigMap:        "redisplan-spec",
		Secret:           "redisplan-secrets",
		Variables:        []string{"redis_password", "webhook_token"},
		TimeZone:         "Europe/Paris",
		StartingDeadline: 10 * time.Minute,
	}
}

// TestRenderGolden compares the manifests with testdata/golden; -update
// rewrites them.
func TestRenderGolden(t *testing.T) {
	files, err := Render(target(), block(), "/srv/spec")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 || files[0].Name != "redisplan-main-backup.yaml" || files[1].Name != "redisplan-main-check.yaml" {
		t.Fatalf("files = %v", files)
	}
	again, _ := Render(target(), block(), "/srv/spec")
	for i, f := range files {
		if string(again[i].Content) != string(f.Content) {
			t.Errorf("%s: two renders differ", f.Name)
		}
		if strings.Contains(string(f.Content), "Sup3rSecretPw") {
			t.Errorf("%s holds the password", f.Name)
		}
		golden := filepath.Join("testdata", "golden", f.Name)
		if *update {
			if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(golden, f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if string(want) != string(f.Content) {
			t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", golden, want, f.Content)
		}
	}
}

// TestRoundTrip decodes each manifest back into a batchv1.CronJob, with
// unknown fields refused, and checks every field redisplan sets.
func TestRoundTrip(t *testing.T) {
	files, err := Render(target(), block(), "/srv/spec")
	if err != nil {
		t.Fatal(err)
	}
	wantArgs := map[string][]string{
		"backup": {"backup", "run", "-no-color", "-config", "/etc/redisplan", "-target", "main"},
		"check":  {"check", "-notify", "-no-color", "-config", "/etc/redisplan", "-target", "main"},
	}
	wantSchedule := map[string]string{"backup": "30 2 * * mon-fri", "check": "*/15 * * * *"}
	for _, f := range files {
		if !schedfiles.HasMarker(f.Content, "main") {
			t.Errorf("%s has no marker", f.Name)
		}
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict(f.Content, &cj); err != nil {
			t.Fatalf("%s does not decode as a CronJob: %v", f.Name, err)
		}
		job := strings.TrimSuffix(strings.TrimPrefix(f.Name, "redisplan-main-"), ".yaml")
		check := func(what string, got, want any) {
			t.Helper()
			if !equal(got, want) {
				t.Errorf("%s: %s = %v, want %v", f.Name, what, got, want)
			}
		}
		check("apiVersion", cj.APIVersion, "batch/v1")
		check("kind", cj.Kind, "CronJob")
		check("name", cj.Name, "redisplan-main-"+job)
		check("namespace", cj.Namespace, "redis")
		labels := map[string]string{LabelManagedBy: "redisplan", LabelName: "redisplan", LabelInstance: "main", LabelComponent: job}
		check("labels", cj.Labels, labels)
		check("annotations", cj.Annotations, map[string]string{AnnotationTarget: "main"})
		s := cj.Spec
		check("schedule", s.Schedule, wantSchedule[job])
		check("timeZone", deref(s.TimeZone), "Europe/Paris")
		check("concurrencyPolicy", s.ConcurrencyPolicy, batchv1.ForbidConcurrent)
		check("startingDeadlineSeconds", deref(s.StartingDeadlineSeconds), int64(600))
		check("suspend", s.Suspend, (*bool)(nil))
		check("job labels", s.JobTemplate.Labels, labels)
		check("backoffLimit", deref(s.JobTemplate.Spec.BackoffLimit), BackoffLimit)
		pod := s.JobTemplate.Spec.Template
		check("pod labels", pod.Labels, labels)
		check("restartPolicy", pod.Spec.RestartPolicy, corev1.RestartPolicyNever)
		if len(pod.Spec.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", f.Name, len(pod.Spec.Containers))
		}
		c := pod.Spec.Containers[0]
		check("container name", c.Name, "redisplan")
		check("image", c.Image, "registry.example/redisplan:1.4.0")
		check("command", c.Command, []string(nil))
		check("args", c.Args, wantArgs[job])
		if len(c.Env) != 2 {
			t.Fatalf("%s: env = %v, want two variables", f.Name, c.Env)
		}
		for i, v := range []string{"redis_password", "webhook_token"} {
			e := c.Env[i]
			check("env name", e.Name, "REDISPLAN_VAR_"+v)
			check("env value", e.Value, "")
			if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
				t.Fatalf("%s: env %s is not from a Secret", f.Name, e.Name)
			}
			check("secret name", e.ValueFrom.SecretKeyRef.Name, "redisplan-secrets")
			check("secret key", e.ValueFrom.SecretKeyRef.Key, v)
		}
		if len(c.VolumeMounts) != 1 || len(pod.Spec.Volumes) != 1 {
			t.Fatalf("%s: mounts %v, volumes %v", f.Name, c.VolumeMounts, pod.Spec.Volumes)
		}
		m, vol := c.VolumeMounts[0], pod.Spec.Volumes[0]
		check("mount", [3]any{m.Name, m.MountPath, m.ReadOnly}, [3]any{"spec", "/etc/redisplan", true})
		check("volume name", vol.Name, "spec")
		if vol.ConfigMap == nil {
			t.Fatalf("%s: the volume is not a ConfigMap", f.Name)
		}
		check("config map", vol.ConfigMap.Name, "redisplan-spec")
	}
}

func TestBuildZones(t *testing.T) {
	tg := target()
	tg.Alerts = nil
	tg.Backup.Schedule = "TZ=Asia/Tokyo 0 4 * * *"
	kc := block()
	kc.TimeZone = ""
	kc.Namespace = ""
	kc.Variables = nil
	jobs, err := Build(tg, kc)
	if err != nil {
		t.Fatal(err)
	}
	if s := jobs[0].Spec; s.Schedule != "0 4 * * *" || deref(s.TimeZone) != "Asia/Tokyo" {
		t.Errorf("schedule %q in %q, want the zone moved into timeZone", s.Schedule, deref(s.TimeZone))
	}
	if jobs[0].Spec.JobTemplate.Spec.Template.Spec.Containers[0].Env != nil {
		t.Error("env set without variables")
	}
	b, _ := yaml.Marshal(jobs[0])
	if strings.Contains(string(b), "namespace:") {
		t.Errorf("a manifest without namespace names one:\n%s", b)
	}
	kc.TimeZone = "UTC"
	if _, err := Build(tg, kc); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("Build with two time zones = %v", err)
	}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func equal(a, b any) bool {
	switch a := a.(type) {
	case []string:
		return slices.Equal(a, b.([]string))
	case map[string]string:
		bm := b.(map[string]string)
		if len(a) != len(bm) {
			return false
		}
		for k, v := range a {
			if bm[k] != v {
				return false
			}
		}
		return true
	}
	return a == b
}
