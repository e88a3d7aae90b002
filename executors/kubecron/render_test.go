package kubecron

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	k8svalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
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
		"check":  {"check", "-notify", "-quiet", "-no-color", "-config", "/etc/redisplan", "-target", "main"},
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
		if errs := validate(&cj); len(errs) > 0 {
			t.Errorf("%s is not valid:\n%s", f.Name, strings.Join(errs, "\n"))
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
		// The spec, read-only, and a scratch /tmp for the lock: the
		// root filesystem is read-only.
		if len(c.VolumeMounts) != 2 || len(pod.Spec.Volumes) != 2 {
			t.Fatalf("%s: mounts %v, volumes %v", f.Name, c.VolumeMounts, pod.Spec.Volumes)
		}
		m, vol := c.VolumeMounts[0], pod.Spec.Volumes[0]
		check("mount", [3]any{m.Name, m.MountPath, m.ReadOnly}, [3]any{"spec", "/etc/redisplan", true})
		check("volume name", vol.Name, "spec")
		if vol.ConfigMap == nil {
			t.Fatalf("%s: the volume is not a ConfigMap", f.Name)
		}
		check("config map", vol.ConfigMap.Name, "redisplan-spec")
		m, vol = c.VolumeMounts[1], pod.Spec.Volumes[1]
		check("tmp mount", [3]any{m.Name, m.MountPath, m.ReadOnly}, [3]any{"tmp", "/tmp", false})
		if vol.Name != "tmp" || vol.EmptyDir == nil {
			t.Errorf("%s: volume %+v, want the emptyDir tmp", f.Name, vol)
		}
		psc, csc := pod.Spec.SecurityContext, c.SecurityContext
		if psc == nil || csc == nil {
			t.Fatalf("%s: no security context", f.Name)
		}
		check("runAsNonRoot", deref(psc.RunAsNonRoot), true)
		check("fsGroup", psc.FSGroup, (*int64)(nil))
		check("readOnlyRootFilesystem", deref(csc.ReadOnlyRootFilesystem), true)
		check("allowPrivilegeEscalation", deref(csc.AllowPrivilegeEscalation), false)
		check("serviceAccountName", pod.Spec.ServiceAccountName, "")
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

// podBlock is block() with every pod option the spec can give.
func podBlock() *model.KubeCronJobs {
	kc := block()
	uid, gid := int64(10001), int64(10001)
	kc.ImagePullPolicy = "IfNotPresent"
	kc.ServiceAccount = "redisplan-backup"
	kc.VolumeClaim = "redisplan-state"
	kc.EnvFromSecrets = []string{"aws-credentials", "smtp"}
	kc.Requests = map[string]string{"cpu": "100m", "memory": "128Mi"}
	kc.Limits = map[string]string{"memory": "512Mi"}
	kc.Security = model.KubeSecurity{RunAsUser: &uid, RunAsGroup: &gid}
	return kc
}

// TestPodOptions renders a block with every pod option, decodes each
// manifest strictly, runs apimachinery's validation over it and checks
// that each option reached its field.
func TestPodOptions(t *testing.T) {
	files, err := Render(target(), podBlock(), "/srv/spec")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		var cj batchv1.CronJob
		if err := yaml.UnmarshalStrict(f.Content, &cj); err != nil {
			t.Fatalf("%s does not decode as a CronJob: %v", f.Name, err)
		}
		if errs := validate(&cj); len(errs) > 0 {
			t.Errorf("%s is not valid:\n%s", f.Name, strings.Join(errs, "\n"))
		}
		pod := cj.Spec.JobTemplate.Spec.Template.Spec
		c := pod.Containers[0]
		if pod.ServiceAccountName != "redisplan-backup" {
			t.Errorf("%s: serviceAccountName = %q", f.Name, pod.ServiceAccountName)
		}
		if c.ImagePullPolicy != corev1.PullIfNotPresent {
			t.Errorf("%s: imagePullPolicy = %q", f.Name, c.ImagePullPolicy)
		}
		var from []string
		for _, e := range c.EnvFrom {
			if e.SecretRef == nil {
				t.Fatalf("%s: envFrom %+v is not a Secret", f.Name, e)
			}
			from = append(from, e.SecretRef.Name)
		}
		if !slices.Equal(from, []string{"aws-credentials", "smtp"}) {
			t.Errorf("%s: envFrom = %v", f.Name, from)
		}
		if q := c.Resources.Requests[corev1.ResourceCPU]; q.String() != "100m" {
			t.Errorf("%s: cpu request = %s", f.Name, q.String())
		}
		if q := c.Resources.Requests[corev1.ResourceMemory]; q.String() != "128Mi" {
			t.Errorf("%s: memory request = %s", f.Name, q.String())
		}
		if q := c.Resources.Limits[corev1.ResourceMemory]; q.String() != "512Mi" || len(c.Resources.Limits) != 1 {
			t.Errorf("%s: limits = %v", f.Name, c.Resources.Limits)
		}
		psc := pod.SecurityContext
		if deref(psc.RunAsUser) != 10001 || deref(psc.RunAsGroup) != 10001 || deref(psc.FSGroup) != 10001 || !deref(psc.RunAsNonRoot) {
			t.Errorf("%s: pod security context %+v, want user, group and fsGroup 10001, non-root", f.Name, psc)
		}
		// The state volume replaces the scratch /tmp: TMPDIR points
		// into it, so the lock and the backup's journal outlive the pod.
		if len(pod.Volumes) != 2 || pod.Volumes[1].PersistentVolumeClaim == nil || pod.Volumes[1].PersistentVolumeClaim.ClaimName != "redisplan-state" {
			t.Fatalf("%s: volumes = %+v", f.Name, pod.Volumes)
		}
		if m := c.VolumeMounts[1]; m.Name != pod.Volumes[1].Name || m.MountPath != StateDir || m.ReadOnly {
			t.Errorf("%s: state mount = %+v", f.Name, m)
		}
		tmpdir := ""
		for _, e := range c.Env {
			if e.Name == "TMPDIR" {
				tmpdir = e.Value
			}
		}
		if tmpdir != StateDir {
			t.Errorf("%s: TMPDIR = %q, want %s", f.Name, tmpdir, StateDir)
		}
		stateDir := slices.Index(c.Args, "-state-dir")
		switch {
		case strings.HasSuffix(f.Name, "-check.yaml") && (stateDir < 0 || c.Args[stateDir+1] != StateDir):
			t.Errorf("%s: args %v do not keep the check state on the volume", f.Name, c.Args)
		case strings.HasSuffix(f.Name, "-backup.yaml") && stateDir >= 0:
			t.Errorf("%s: backup args %v carry -state-dir", f.Name, c.Args)
		}
	}

	// A state volume without ids gets the image's group as fsGroup, so
	// that the job can write to it.
	kc := podBlock()
	kc.Security = model.KubeSecurity{}
	jobs, err := Build(target(), kc)
	if err != nil {
		t.Fatal(err)
	}
	if g := deref(jobs[0].Spec.JobTemplate.Spec.Template.Spec.SecurityContext.FSGroup); g != ImageGroup {
		t.Errorf("fsGroup = %d, want %d", g, ImageGroup)
	}

	// Turned off, the two defaults are left out.
	kc = block()
	kc.Security = model.KubeSecurity{AllowRoot: true, WritableRoot: true}
	jobs, err = Build(target(), kc)
	if err != nil {
		t.Fatal(err)
	}
	pod := jobs[0].Spec.JobTemplate.Spec.Template.Spec
	if pod.SecurityContext.RunAsNonRoot != nil || pod.Containers[0].SecurityContext.ReadOnlyRootFilesystem != nil {
		t.Errorf("security contexts %+v / %+v, want runAsNonRoot and readOnlyRootFilesystem left out", pod.SecurityContext, pod.Containers[0].SecurityContext)
	}
	if len(pod.Volumes) != 1 {
		t.Errorf("volumes = %+v, want only the spec with a writable root", pod.Volumes)
	}
	if errs := validate(jobs[0]); len(errs) > 0 {
		t.Errorf("not valid:\n%s", strings.Join(errs, "\n"))
	}
}

// TestValidateCatches makes sure validate is not a check that cannot
// fail: each broken manifest is refused.
func TestValidateCatches(t *testing.T) {
	for name, breakIt := range map[string]func(*batchv1.CronJob){
		"long name": func(cj *batchv1.CronJob) { cj.Name = strings.Repeat("a", 53) },
		"bad label": func(cj *batchv1.CronJob) { cj.Labels["x"] = "not a label value" },
		"request > limit": func(cj *batchv1.CronJob) {
			podOf(cj).Containers[0].Resources.Requests[corev1.ResourceMemory] = mustQ("1Gi")
		},
		"mount no volume":  func(cj *batchv1.CronJob) { podOf(cj).Volumes = podOf(cj).Volumes[:1] },
		"bad env name":     func(cj *batchv1.CronJob) { podOf(cj).Containers[0].Env[0].Name = "1=x" },
		"root and nonroot": func(cj *batchv1.CronJob) { podOf(cj).SecurityContext.RunAsUser = ptr(int64(0)) },
		"bad pull policy":  func(cj *batchv1.CronJob) { podOf(cj).Containers[0].ImagePullPolicy = "Sometimes" },
		"bad claim name":   func(cj *batchv1.CronJob) { podOf(cj).Volumes[1].PersistentVolumeClaim.ClaimName = "State_Vol" },
		"restart always":   func(cj *batchv1.CronJob) { podOf(cj).RestartPolicy = corev1.RestartPolicyAlways },
		"bad schedule":     func(cj *batchv1.CronJob) { cj.Spec.Schedule = "61 * * * *" },
	} {
		jobs, err := Build(target(), podBlock())
		if err != nil {
			t.Fatal(err)
		}
		breakIt(jobs[0])
		if errs := validate(jobs[0]); len(errs) == 0 {
			t.Errorf("%s: validate found nothing", name)
		}
	}
}

func podOf(cj *batchv1.CronJob) *corev1.PodSpec { return &cj.Spec.JobTemplate.Spec.Template.Spec }

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }

// validate runs apimachinery's validation of object metadata, labels,
// names and quantities over a CronJob, with the rules of the API
// server's batch and core validation that apply to what redisplan sets
// (those live in k8s.io/kubernetes, which is not importable).
func validate(cj *batchv1.CronJob) []string {
	var errs field.ErrorList
	meta := field.NewPath("metadata")
	errs = append(errs, apivalidation.ValidateObjectMeta(&cj.ObjectMeta, cj.Namespace != "", apivalidation.NameIsDNSSubdomain, meta)...)
	// The controller appends 11 characters to a CronJob's name for its
	// Jobs, and the API server refuses names longer than 52.
	if len(cj.Name) > 52 {
		errs = append(errs, field.TooLong(meta.Child("name"), cj.Name, 52))
	}
	spec := field.NewPath("spec")
	if _, err := cron.ParseStandard(cj.Spec.Schedule); err != nil {
		errs = append(errs, field.Invalid(spec.Child("schedule"), cj.Spec.Schedule, err.Error()))
	}
	if cj.Spec.TimeZone != nil {
		if _, err := time.LoadLocation(*cj.Spec.TimeZone); err != nil {
			errs = append(errs, field.Invalid(spec.Child("timeZone"), *cj.Spec.TimeZone, err.Error()))
		}
	}
	tmpl := spec.Child("jobTemplate")
	errs = append(errs, metav1validation.ValidateLabels(cj.Spec.JobTemplate.Labels, tmpl.Child("metadata", "labels"))...)
	podPath := tmpl.Child("spec", "template", "spec")
	errs = append(errs, metav1validation.ValidateLabels(cj.Spec.JobTemplate.Spec.Template.Labels, tmpl.Child("spec", "template", "metadata", "labels"))...)
	pod := cj.Spec.JobTemplate.Spec.Template.Spec
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		errs = append(errs, field.NotSupported(podPath.Child("restartPolicy"), pod.RestartPolicy, []string{"Never", "OnFailure"}))
	}
	return messages(append(errs, validatePod(podPath, pod)...))
}

// messages are the errors of errs, one string each.
func messages(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// validatePod checks what redisplan sets in a pod (a CronJob's, or the
// archive Deployment's) at podPath.
func validatePod(podPath *field.Path, pod corev1.PodSpec) field.ErrorList {
	var errs field.ErrorList
	name := func(p *field.Path, v string, label bool) {
		check := k8svalidation.IsDNS1123Subdomain
		if label {
			check = k8svalidation.IsDNS1123Label
		}
		for _, msg := range check(v) {
			errs = append(errs, field.Invalid(p, v, msg))
		}
	}
	if pod.ServiceAccountName != "" {
		name(podPath.Child("serviceAccountName"), pod.ServiceAccountName, false)
	}
	volumes := map[string]bool{}
	for i, v := range pod.Volumes {
		p := podPath.Child("volumes").Index(i)
		name(p.Child("name"), v.Name, true)
		if volumes[v.Name] {
			errs = append(errs, field.Duplicate(p.Child("name"), v.Name))
		}
		volumes[v.Name] = true
		switch {
		case v.ConfigMap != nil:
			name(p.Child("configMap", "name"), v.ConfigMap.Name, false)
		case v.PersistentVolumeClaim != nil:
			name(p.Child("persistentVolumeClaim", "claimName"), v.PersistentVolumeClaim.ClaimName, false)
		case v.EmptyDir != nil:
		default:
			errs = append(errs, field.Required(p, "one volume source"))
		}
	}
	if sc := pod.SecurityContext; sc != nil {
		for what, id := range map[string]*int64{"runAsUser": sc.RunAsUser, "runAsGroup": sc.RunAsGroup, "fsGroup": sc.FSGroup} {
			if id != nil {
				for _, msg := range k8svalidation.IsValidUserID(*id) {
					errs = append(errs, field.Invalid(podPath.Child("securityContext", what), *id, msg))
				}
			}
		}
		if deref(sc.RunAsNonRoot) && sc.RunAsUser != nil && *sc.RunAsUser == 0 {
			errs = append(errs, field.Invalid(podPath.Child("securityContext", "runAsUser"), 0, "runAsNonRoot with user 0"))
		}
	}
	for i, c := range pod.Containers {
		p := podPath.Child("containers").Index(i)
		name(p.Child("name"), c.Name, true)
		if c.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
		switch c.ImagePullPolicy {
		case "", corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
		default:
			errs = append(errs, field.NotSupported(p.Child("imagePullPolicy"), c.ImagePullPolicy, []string{"Always", "IfNotPresent", "Never"}))
		}
		for j, e := range c.Env {
			for _, msg := range k8svalidation.IsEnvVarName(e.Name) {
				errs = append(errs, field.Invalid(p.Child("env").Index(j).Child("name"), e.Name, msg))
			}
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				name(p.Child("env").Index(j).Child("valueFrom", "secretKeyRef", "name"), e.ValueFrom.SecretKeyRef.Name, false)
				for _, msg := range k8svalidation.IsConfigMapKey(e.ValueFrom.SecretKeyRef.Key) {
					errs = append(errs, field.Invalid(p.Child("env").Index(j).Child("valueFrom", "secretKeyRef", "key"), e.ValueFrom.SecretKeyRef.Key, msg))
				}
			}
		}
		for j, e := range c.EnvFrom {
			if e.SecretRef == nil {
				errs = append(errs, field.Required(p.Child("envFrom").Index(j).Child("secretRef"), ""))
				continue
			}
			name(p.Child("envFrom").Index(j).Child("secretRef", "name"), e.SecretRef.Name, false)
		}
		paths := map[string]bool{}
		for j, m := range c.VolumeMounts {
			mp := p.Child("volumeMounts").Index(j)
			if !volumes[m.Name] {
				errs = append(errs, field.NotFound(mp.Child("name"), m.Name))
			}
			if !strings.HasPrefix(m.MountPath, "/") || paths[m.MountPath] {
				errs = append(errs, field.Invalid(mp.Child("mountPath"), m.MountPath, "must be absolute and unique"))
			}
			paths[m.MountPath] = true
		}
		for rn, q := range c.Resources.Requests {
			if q.Sign() < 0 {
				errs = append(errs, field.Invalid(p.Child("resources", "requests", string(rn)), q.String(), "must be non-negative"))
			}
			if lim, ok := c.Resources.Limits[rn]; ok && q.Cmp(lim) > 0 {
				errs = append(errs, field.Invalid(p.Child("resources", "requests", string(rn)), q.String(), "must be less than or equal to the limit "+lim.String()))
			}
		}
	}
	return errs
}
